import { randomBytes } from "node:crypto";
import { SELF } from "./process-identity.js";

/** Every resource the harness creates carries these labels, so cleanup can find it by label. */
export const LABEL = {
  project: "dev.deploy-gameday.project",
  runId: "dev.deploy-gameday.run-id",
  role: "dev.deploy-gameday.role",
  recipeHash: "dev.deploy-gameday.recipe-hash",
  /** The harness process that owns the resource (`<pid>-<start time>`): `npm run clean` leaves a live run's resources alone. */
  ownerPid: "dev.deploy-gameday.owner-pid",
} as const;

export const PROJECT = "deploy-gameday";

/** kind's label on the node containers of a cluster: its value is the cluster's name. */
export const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";

export function runLabels(runId: string, role?: string): Record<string, string> {
  return { [LABEL.project]: PROJECT, [LABEL.runId]: runId, [LABEL.ownerPid]: SELF, ...(role ? { [LABEL.role]: role } : {}) };
}

/** A run id that sorts by time and names its scenario: 20261126-171500-canary-fail-3f9a. */
export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-/, "").slice(0, 40).replace(/-$/, "") || "run";
  return `${stamp}-${slug}-${randomBytes(2).toString("hex")}`;
}
