/**
 * Kubernetes objects for the kind platform, as pure functions: the reference
 * service from the rendered kustomize overlay, and the supporting components
 * (router, Prometheus). No API calls here, so all of it is unit-tested.
 */
import { basename } from "node:path";
import type { V1ConfigMap, V1Container, V1Deployment, V1NetworkPolicy, V1PodDisruptionBudget, V1Probe, V1Secret, V1Service, V1ServiceAccount, V2HorizontalPodAutoscaler, V2HPAScalingRules } from "@kubernetes/client-node";
import { TimeScale } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import { scaleProgressDeadline } from "../../model/kubernetes.js";
import { COMPONENT_LABEL } from "./network-policy.js";

/** Label keys every object of the harness carries in the cluster. */
export const K8S_LABEL = {
  runId: "deploy-gameday.dev/run-id",
  /** On a run's namespace: the pid of the harness that owns it (npm run clean leaves a live run's namespace alone). */
  ownerPid: "deploy-gameday.dev/owner-pid",
  role: "deploy-gameday.dev/role",
  version: "deploy-gameday.dev/version",
} as const;
/** Who applies the harness's objects (server-side apply's field manager). */
export const FIELD_MANAGER = "deploy-gameday";
export const APP_CONTAINER = "api";
export const APP_PORT = 8000;

export interface AppOptions {
  namespace: string;
  runId: string;
  role: string;
  version: string;
  imageRef: string;
  replicas: number;
  /** Extra environment (fault knobs); DATABASE_URL comes from the secret. */
  env: Record<string, string>;
  /** false: the scenario runs without a database, so the secret reference is dropped. */
  database: boolean;
  /** Wall seconds per spec second: probe timings are spec time too. */
  scale: number;
  /** Whether the overlay's HorizontalPodAutoscaler (if any) drives the replicas; false when the scenario fixes them. */
  autoscale?: boolean;
}

/** Kubernetes' defaults for what the document's probes leave unset. */
const PROBE_DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 } as const;

/**
 * A probe with its timings in wall seconds: the document's (and Kubernetes'
 * default) timings times the scale, never below one second. At scale 1 the
 * probe is the document's, unchanged but for explicit defaults.
 */
export function scaleProbe(probe: V1Probe, scale: number): V1Probe {
  const time = new TimeScale(scale);
  const at = (v: number | undefined, d: number, min: number) => time.toWallSeconds(v ?? d, min);
  return {
    ...probe,
    initialDelaySeconds: at(probe.initialDelaySeconds, PROBE_DEFAULTS.initialDelaySeconds, 0),
    periodSeconds: at(probe.periodSeconds, PROBE_DEFAULTS.periodSeconds, 1),
    timeoutSeconds: probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds,
    failureThreshold: probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold,
  };
}

function only<T extends { kind?: string }>(docs: readonly unknown[], kind: string, source: string): T {
  const found = docs.filter((d): d is T => (d as { kind?: string } | null)?.kind === kind);
  if (found.length !== 1) throw new HarnessError("SPEC_INVALID", `${source} renders ${found.length} ${kind} objects; the kind platform needs exactly one`);
  return found[0]!;
}

/** The port the app serves /metrics on apart from its application port (its METRICS_PORT), when the container sets one. */
export function metricsPortOf(deployment: V1Deployment): number | undefined {
  const c = deployment.spec?.template.spec?.containers.find((x) => x.name === APP_CONTAINER);
  const port = Number(c?.env?.find((e) => e.name === "METRICS_PORT")?.value);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * The app's Deployment and Service for one role, from the rendered overlay
 * (k8s/base or k8s/environments/<env>); the overlay's ServiceAccount and
 * NetworkPolicies, which every role shares, in the run's namespace.
 */
export function appObjects(
  rendered: readonly unknown[],
  source: string,
  o: AppOptions,
): {
  deployment: V1Deployment;
  service: V1Service;
  serviceAccount?: V1ServiceAccount;
  networkPolicies: V1NetworkPolicy[];
  autoscaler?: V2HorizontalPodAutoscaler;
  disruptionBudget?: V1PodDisruptionBudget;
} {
  const base = structuredClone(only<V1Deployment>(rendered, "Deployment", source));
  const accounts = rendered.filter((d): d is V1ServiceAccount => (d as { kind?: string })?.kind === "ServiceAccount");
  if (accounts.length > 1) throw new HarnessError("SPEC_INVALID", `${source} renders ${accounts.length} ServiceAccount objects; the kind platform needs at most one`);
  const account = accounts[0] ? structuredClone(accounts[0]) : undefined;
  const baseService = structuredClone(only<V1Service>(rendered, "Service", source));
  const name = `${base.metadata!.name}-${o.role}`;
  const selector = { ...(base.spec!.selector.matchLabels ?? {}), [K8S_LABEL.role]: o.role };
  const labels = { ...(base.metadata!.labels ?? {}), [K8S_LABEL.runId]: o.runId, [K8S_LABEL.role]: o.role };
  const template = base.spec!.template;
  const containers = template.spec!.containers;
  const app = containers.find((c) => c.name === APP_CONTAINER) ?? containers[0];
  if (!app) throw new HarnessError("SPEC_INVALID", `${source}: the Deployment has no container`);
  setAppContainer(app, o);

  const deployment: V1Deployment = {
    ...base,
    metadata: { ...base.metadata, name, namespace: o.namespace, labels },
    spec: {
      ...base.spec!,
      ...(base.spec!.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: scaleProgressDeadline(base.spec!.progressDeadlineSeconds, o.scale) } : {}),
      replicas: o.replicas,
      selector: { matchLabels: selector },
      template: {
        ...template,
        metadata: { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), ...selector, [K8S_LABEL.runId]: o.runId, [K8S_LABEL.version]: o.version } },
        // A pod asked to stop serves on as a lame duck until the Service's endpoints have let it go (LAME_DUCK), then closes.
        // The overlay's spread over nodes counts the role's own pods.
        spec: {
          ...template.spec!,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          ...(template.spec!.topologySpreadConstraints ? { topologySpreadConstraints: template.spec!.topologySpreadConstraints.map((c) => ({ ...c, labelSelector: { matchLabels: selector } })) } : {}),
        },
      },
    },
  };
  const service: V1Service = {
    ...baseService,
    metadata: { ...baseService.metadata, name, namespace: o.namespace, labels },
    spec: { ...baseService.spec!, selector },
  };
  // Shared by every role: one per namespace, under the overlay's own name.
  const inNamespace = <T extends { metadata?: { labels?: Record<string, string> } }>(obj: T): T => ({ ...obj, metadata: { ...obj.metadata, namespace: o.namespace, labels: { ...(obj.metadata?.labels ?? {}), [K8S_LABEL.runId]: o.runId } } });
  const serviceAccount = account ? inNamespace(account) : undefined;
  const networkPolicies = rendered.filter((d): d is V1NetworkPolicy => (d as { kind?: string })?.kind === "NetworkPolicy").map((p) => inNamespace(structuredClone(p)));
  const hpas = rendered.filter((d): d is V2HorizontalPodAutoscaler => (d as { kind?: string })?.kind === "HorizontalPodAutoscaler");
  if (hpas.length > 1) throw new HarnessError("SPEC_INVALID", `${source} renders ${hpas.length} HorizontalPodAutoscaler objects; the kind platform needs at most one`);
  const autoscaler = hpas[0] && o.autoscale !== false ? roleAutoscaler(hpas[0], name, labels, o) : undefined;
  const budgets = rendered.filter((d): d is V1PodDisruptionBudget => (d as { kind?: string })?.kind === "PodDisruptionBudget");
  if (budgets.length > 1) throw new HarnessError("SPEC_INVALID", `${source} renders ${budgets.length} PodDisruptionBudget objects; the kind platform needs at most one`);
  // The overlay's budget for the role's own pods, under the role's Deployment's name.
  const disruptionBudget = budgets[0] ? { ...structuredClone(budgets[0]), metadata: { ...budgets[0].metadata, name, namespace: o.namespace, labels: { ...(budgets[0].metadata?.labels ?? {}), ...labels } }, spec: { ...budgets[0].spec, selector: { matchLabels: selector } } } : undefined;
  return { deployment, service, networkPolicies, ...(serviceAccount ? { serviceAccount } : {}), ...(autoscaler ? { autoscaler } : {}), ...(disruptionBudget ? { disruptionBudget } : {}) };
}

/** Kubernetes' autoscaler behaviour where the overlay leaves it out (autoscaling/v2's documented defaults). */
const HPA_DEFAULTS: { scaleUp: V2HPAScalingRules; scaleDown: V2HPAScalingRules } = {
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }, { type: "Pods", value: 4, periodSeconds: 15 }] },
  scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
};

/**
 * The overlay's autoscaler for one role: named after the role's Deployment
 * and aimed at it, its behaviour's windows and periods in wall seconds (the
 * overlay's or Kubernetes' defaults, times the run's scale: at 0.1 the 300 s
 * scale-down window is 30 s; periods never below 1 s).
 */
function roleAutoscaler(base: V2HorizontalPodAutoscaler, deployment: string, labels: Record<string, string>, o: AppOptions): V2HorizontalPodAutoscaler {
  const time = new TimeScale(o.scale);
  const scaled = (rules: V2HPAScalingRules | undefined, defaults: V2HPAScalingRules): V2HPAScalingRules => {
    const r = { ...defaults, ...(rules ?? {}) };
    return {
      ...r,
      stabilizationWindowSeconds: time.toWallSeconds(r.stabilizationWindowSeconds ?? 0, 0),
      ...(r.policies ? { policies: r.policies.map((p) => ({ ...p, periodSeconds: time.toWallSeconds(p.periodSeconds, 1) })) } : {}),
    };
  };
  const hpa = structuredClone(base);
  return {
    ...hpa,
    metadata: { ...hpa.metadata, name: deployment, namespace: o.namespace, labels: { ...(hpa.metadata?.labels ?? {}), ...labels } },
    spec: {
      ...hpa.spec!,
      scaleTargetRef: { ...hpa.spec!.scaleTargetRef, name: deployment },
      behavior: { scaleUp: scaled(hpa.spec!.behavior?.scaleUp, HPA_DEFAULTS.scaleUp), scaleDown: scaled(hpa.spec!.behavior?.scaleDown, HPA_DEFAULTS.scaleDown) },
    },
  };
}

/**
 * How a pod asked to stop keeps serving (unready, closing each answer's
 * connection) before it closes, so a rolling update drops no request: at
 * least `minMs`, then until no request has come for `quietMs` (the endpoint
 * controller and kube-proxy have let it go, however long that took on a busy
 * machine), at most `maxMs`. Wall time: propagation does not follow the
 * run's time scale.
 */
export const LAME_DUCK = { minMs: 2000, quietMs: 1000, maxMs: 10_000 } as const;

/** The app's own deadline for closing once the lame duck is over (fixtures/app/src/main.ts). */
const APP_CLOSE_TIMEOUT_MS = 5000;

/** The app pods' grace period: the kubelet's SIGKILL comes after the longest lame duck and the app's own close deadline. */
export const TERMINATION_GRACE_SECONDS = Math.ceil((LAME_DUCK.maxMs + APP_CLOSE_TIMEOUT_MS) / 1000) + 1;

/** The app container's environment for that lame duck. */
export const LAME_DUCK_ENV = {
  SHUTDOWN_DELAY_MS: String(LAME_DUCK.minMs),
  SHUTDOWN_QUIET_MS: String(LAME_DUCK.quietMs),
  SHUTDOWN_MAX_MS: String(LAME_DUCK.maxMs),
} as const;

/** Point the app container at a version: its image, environment and probe timings. */
function setAppContainer(app: V1Container, o: Pick<AppOptions, "imageRef" | "env" | "database" | "scale">): void {
  app.image = o.imageRef;
  app.imagePullPolicy = pullPolicy(o.imageRef);
  const env = (app.env ?? []).filter((e) => o.database || e.name !== "DATABASE_URL");
  for (const [k, v] of Object.entries({ ...LAME_DUCK_ENV, ...o.env })) env.push({ name: k, value: v });
  app.env = env;
  if (app.livenessProbe) app.livenessProbe = scaleProbe(app.livenessProbe, o.scale);
  if (app.readinessProbe) app.readinessProbe = scaleProbe(app.readinessProbe, o.scale);
}

/** The secret the document's Deployment reads DATABASE_URL from. */
export function databaseSecret(namespace: string, runId: string, url: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "database-secret", namespace, labels: { [K8S_LABEL.runId]: runId } },
    stringData: { url },
  };
}

export interface ComponentObjectsOptions {
  namespace: string;
  runId: string;
  role: string;
  /** What it is to the service's NetworkPolicy: its pod carries app.kubernetes.io/component with this value ("load-balancer"). */
  part: string;
  imageRef: string;
  files: ReadonlyArray<{ readonly path: string; readonly content: string }>;
  /** The container ports its Service publishes. */
  ports: readonly number[];
  /** Container port to the NodePort it is published on (kind maps them to the host); without, a ClusterIP Service (reached by port-forward). */
  nodePorts?: ReadonlyMap<number, number>;
  /** Pinned to the control-plane node (ON_CONTROL_PLANE): on a cluster of the harness's own; a cluster it was pointed at schedules it as it does. */
  onControlPlane: boolean;
  ready: { readonly port: number; readonly path: string };
}

/**
 * How a pod gets an image: one the harness loaded into the nodes (kind load)
 * is never pulled; one pushed to a registry is named by its digest, so
 * pulling it once is enough and a stale copy cannot stand in for it.
 */
export function pullPolicy(imageRef: string): "Never" | "IfNotPresent" {
  return imageRef.includes("@sha256:") ? "IfNotPresent" : "Never";
}

/**
 * The harness's own parts (the router, Prometheus; metrics-server in its
 * manifest) run on the control-plane node, tainted or not: a node fault
 * aimed at the system under test (node-drain, node-down on a worker) must
 * not take the instruments with it. On a one-node cluster that is the node.
 */
export const ON_CONTROL_PLANE = {
  nodeSelector: { "node-role.kubernetes.io/control-plane": "" },
  tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
};

/** A supporting component: its files in a ConfigMap, one pod, and a Service named after its role (NodePort on kind). */
export function componentObjects(o: ComponentObjectsOptions): { configMap: V1ConfigMap; deployment: V1Deployment; service: V1Service } {
  const labels = { [K8S_LABEL.runId]: o.runId, [K8S_LABEL.role]: o.role };
  const keys = o.files.map((f, i) => `${i}-${basename(f.path)}`);
  const configMap: V1ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${o.role}-files`, namespace: o.namespace, labels },
    data: Object.fromEntries(o.files.map((f, i) => [keys[i]!, f.content])),
  };
  const ports = o.ports;
  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: o.role, namespace: o.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, [COMPONENT_LABEL]: o.part } },
        spec: {
          terminationGracePeriodSeconds: 1,
          // The router and Prometheus call no Kubernetes API (Prometheus's targets are static): no token in their pods.
          automountServiceAccountToken: false,
          ...(o.onControlPlane ? ON_CONTROL_PLANE : {}),
          containers: [
            {
              name: o.role,
              image: o.imageRef,
              imagePullPolicy: pullPolicy(o.imageRef),
              ports: ports.map((p) => ({ containerPort: p })),
              volumeMounts: o.files.map((f, i) => ({ name: "files", mountPath: f.path, subPath: keys[i]! })),
              readinessProbe: { httpGet: { path: o.ready.path, port: o.ready.port }, periodSeconds: 1 },
            },
          ],
          volumes: [{ name: "files", configMap: { name: configMap.metadata!.name! } }],
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: o.role, namespace: o.namespace, labels },
    spec: {
      type: o.nodePorts ? "NodePort" : "ClusterIP",
      selector: labels,
      ports: ports.map((port) => ({ name: `p${port}`, port, targetPort: port, ...(o.nodePorts?.has(port) ? { nodePort: o.nodePorts.get(port)! } : {}) })),
    },
  };
  return { configMap, deployment, service };
}
