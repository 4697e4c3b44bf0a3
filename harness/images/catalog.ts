import { readFileSync } from "node:fs";
import { parse } from "yaml";

import { ROOT } from "../common/paths.js";
import { didYouMean } from "../common/suggest.js";

export const REPO = "deploy-gameday";

/**
 * A logical image: what scenarios and platforms ask for. Each has a local
 * recipe built from Debian packages on an mmdebstrap base, and may name an
 * upstream image used instead when it is present or can be pulled.
 */
export type ImageSpec =
  | { kind: "rootfs"; name: string; ref: string; suite: string; variant: string }
  | {
      kind: "dockerfile";
      name: string;
      ref: string;
      upstream?: string;
      base: string;
      /** Folder under fixtures/images with the Dockerfile and its files. */
      recipeDir: string;
      /** Files of fixtures/images/common the recipe copies too (closure.sh: a program and its libraries, for a runtime stage FROM scratch). */
      common?: readonly string[];
      /** Files made at build time: the bundled app from its sources (with its packages' lock file), or a tool scripts/tools.sh builds (its name). */
      generated?: "app-bundle" | "toxiproxy-server" | "kube-network-policies" | "metrics-server" | "prometheus";
    }
  | { kind: "variant"; name: string; ref: string; base: string; env: Record<string, string>; description: string };

export interface AppVersion {
  name: string;
  description: string;
  env: Record<string, string>;
}

/** The names of the versions the harness builds (fixtures/app/versions.yaml), read once. */
let versionNamesRead: string[] | undefined;
export function versionNames(): string[] {
  return (versionNamesRead ??= appVersions().map((v) => v.name));
}

/** Why `tag` names no version the harness builds, or undefined when it names one. */
export function unknownVersion(tag: string): string | undefined {
  const names = versionNames();
  if (names.includes(tag)) return undefined;
  return `must be a version of the reference service in fixtures/app/versions.yaml (${names.join(", ")}), got "${tag}"${didYouMean(tag, names)}`;
}

export function appVersions(): AppVersion[] {
  const raw = parse(readFileSync(`${ROOT}fixtures/app/versions.yaml`, "utf8")) as {
    versions: Record<string, { description: string; env?: Record<string, string> }>;
  };
  return Object.entries(raw.versions).map(([name, v]) => ({ name, description: v.description, env: v.env ?? {} }));
}

export function catalog(): Map<string, ImageSpec> {
  const specs: ImageSpec[] = [
    { kind: "rootfs", name: "base", ref: `${REPO}/base:bookworm`, suite: "bookworm", variant: "minbase" },
    {
      kind: "dockerfile",
      name: "postgres",
      ref: `${REPO}/postgres:15`,
      upstream: "postgres:15",
      base: "base",
      recipeDir: "postgres",
    },
    { kind: "dockerfile", name: "haproxy", ref: `${REPO}/haproxy:2.6`, upstream: "haproxy:2.6", base: "base", recipeDir: "haproxy", common: ["closure.sh"] },
    // Prometheus 2.42.0 from its Go module, patched to hand its static targets to scraping in 100 ms rather than 5 s
    // (scripts/prometheus.patch); never the upstream image, whose first scrape comes about 5 s after it starts.
    { kind: "dockerfile", name: "prometheus", ref: `${REPO}/prometheus:2.42`, base: "base", recipeDir: "prometheus", generated: "prometheus" },
    {
      kind: "dockerfile",
      name: "toxiproxy",
      ref: `${REPO}/toxiproxy:2.5.0`,
      upstream: "ghcr.io/shopify/toxiproxy:2.5.0",
      base: "base",
      recipeDir: "toxiproxy",
      generated: "toxiproxy-server",
    },
    // kind's NetworkPolicy agent (harness/platforms/kind/network-agent.ts): its static binary alone.
    {
      kind: "dockerfile",
      name: "kube-network-policies",
      ref: `${REPO}/kube-network-policies:v0.8.0`,
      base: "base",
      recipeDir: "kube-network-policies",
      generated: "kube-network-policies",
    },
    // A registry for a cluster the harness did not create (--platform kubernetes --registry): Debian's docker-registry.
    { kind: "dockerfile", name: "registry", ref: `${REPO}/registry:2.8`, base: "base", recipeDir: "registry", common: ["closure.sh"] },
    // The resource metrics API for the HorizontalPodAutoscaler (harness/platforms/kind/metrics-server.ts): its binary alone.
    { kind: "dockerfile", name: "metrics-server", ref: `${REPO}/metrics-server:v0.8.0`, base: "base", recipeDir: "metrics-server", generated: "metrics-server" },
    { kind: "dockerfile", name: "app", ref: `${REPO}/app:build`, base: "base", recipeDir: "app", common: ["closure.sh"], generated: "app-bundle" },
    ...appVersions().map(
      (v): ImageSpec => ({
        kind: "variant",
        name: `app:${v.name}`,
        ref: `${REPO}/app:${v.name}`,
        base: "app",
        env: { APP_VERSION: v.name, ...v.env },
        description: v.description,
      }),
    ),
  ];
  return new Map(specs.map((s) => [s.name, s]));
}
