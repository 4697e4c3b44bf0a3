import type { AppsV1Api, CoreV1Api, DiscoveryV1Api, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { systemClock, waitFor, type Clock } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import type { PlatformContext } from "../platform.js";
import { K8S_LABEL, LAME_DUCK, TERMINATION_GRACE_SECONDS } from "./manifests.js";

/** Waiting reasons that mean a rollout is stuck once they last STUCK_AFTER_MS (a busy kubelet reports some of them briefly). */
const STUCK = new Set(["ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CrashLoopBackOff"]);
const STUCK_AFTER_MS = 15_000;

/** Pods stuck in a way waiting does not fix (STUCK), for STUCK_AFTER_MS in a row: what a wait for them to be ready gives up on at once. */
export class StuckWatch {
  private readonly since = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Which of these pods has been stuck long enough, and how, or undefined; call it at each look. */
  check(pods: readonly V1Pod[]): string | undefined {
    const seen = new Set<string>();
    let stuck: string | undefined;
    for (const p of pods) {
      for (const c of p.status?.containerStatuses ?? []) {
        const reason = c.state?.waiting?.reason;
        if (!reason || !STUCK.has(reason)) continue;
        const key = `${p.metadata?.name} ${reason}`;
        seen.add(key);
        if (!this.since.has(key)) this.since.set(key, this.clock.now());
        if (this.clock.now() - this.since.get(key)! >= STUCK_AFTER_MS) stuck = `pod ${p.metadata?.name} has been ${reason} for ${STUCK_AFTER_MS / 1000} s: ${c.state?.waiting?.message ?? ""}`.trim();
      }
    }
    for (const key of this.since.keys()) if (!seen.has(key)) this.since.delete(key);
    return stuck;
  }
}

/**
 * Wait until a Deployment's rollout is complete (what `kubectl rollout
 * status` waits for): every replica updated and running (`ready`: and
 * available). Fails at once when a pod of the template being rolled out is
 * stuck in a way waiting does not fix (its image cannot be pulled, it
 * crash-loops) for STUCK_AFTER_MS.
 */
export async function waitRolloutComplete(o: {
  apps: AppsV1Api;
  namespace: string;
  deployment: string;
  /** The role's pods, not being deleted. */
  pods: () => Promise<V1Pod[]>;
  ready: boolean;
  clock?: Clock;
  signal: AbortSignal;
}): Promise<V1Deployment> {
  const clock = o.clock ?? systemClock;
  let stuck: string | undefined;
  const watch = new StuckWatch(clock);
  const live = await waitFor(
    async () => {
      const d = await o.apps.readNamespacedDeployment({ name: o.deployment, namespace: o.namespace });
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const rolled = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s.updatedReplicas === want && (s.replicas ?? 0) === want;
      const pods = await o.pods();
      const running = pods.filter((p) => p.status?.phase === "Running" && p.status.podIP);
      if (rolled && (o.ready ? (s.availableReplicas ?? 0) === want : running.length === want) && running.length === want) return d;
      // Only the pods of the template being rolled out: the old version's may crash on their way out.
      const version = d.spec?.template.metadata?.labels?.[K8S_LABEL.version];
      const current = version === undefined ? pods : pods.filter((p) => p.metadata?.labels?.[K8S_LABEL.version] === version);
      stuck = watch.check(current);
      return stuck ? d : undefined;
    },
    {
      description: `the rollout of deployment ${o.deployment} in namespace ${o.namespace}`,
      timeoutMs: 120_000,
      intervalMs: 250,
      clock,
      signal: o.signal,
      hint: "the pods' logs and the namespace's events are saved in the run folder's logs/",
    },
  );
  if (stuck) throw new HarnessError("ROLLOUT_FAILED", `the rollout of ${o.deployment} is stuck: ${stuck}`, { hint: "the namespace's events are saved in the run folder's logs/kubernetes-events.log" });
  return live;
}

/**
 * Wait until the role's pods being deleted have stopped: `kubectl rollout
 * status` returns while the pods a rollout replaced still serve as lame
 * ducks (LAME_DUCK) what reaches them, so only then does every answer come
 * from the new version. Past their grace period the kubelet is late, which
 * a note says, and the run goes on.
 */
export async function waitReplacedStopped(o: { core: CoreV1Api; namespace: string; role: string; clock: Clock; signal: AbortSignal; emit: PlatformContext["emit"] }): Promise<void> {
  const stopping = async () =>
    (await o.core.listNamespacedPod({ namespace: o.namespace, labelSelector: `${K8S_LABEL.role}=${o.role}` })).items.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);
  const deadlineSeconds = TERMINATION_GRACE_SECONDS + 5;
  let left: string[] = [];
  await waitFor(async () => ((left = await stopping()).length === 0 ? true : undefined), {
    description: `the replaced pods of the ${o.role} to stop`,
    timeoutMs: deadlineSeconds * 1000,
    intervalMs: 250,
    clock: o.clock,
    signal: o.signal,
  }).catch((e: unknown) => {
    if (o.signal.aborted) throw e;
    o.emit({ type: "note", level: "warn", message: `pods ${left.join(", ")} of the ${o.role} were still stopping ${deadlineSeconds} s on (a lame duck lasts at most ${LAME_DUCK.maxMs / 1000} s): the run goes on` });
  });
}

/**
 * Wait until the Service's EndpointSlices list `want` ready endpoints: a pod
 * is Ready a moment before the endpoint controller adds it, and until then
 * the Service (and the router behind it) does not send it traffic. A new
 * version counts as up only when its Service serves every replica.
 */
export async function waitEndpointsReady(o: { discovery: DiscoveryV1Api; namespace: string; service: string; want: number; clock: Clock; signal: AbortSignal }): Promise<void> {
  await waitFor(
    async () => {
      const slices = await o.discovery.listNamespacedEndpointSlice({ namespace: o.namespace, labelSelector: `kubernetes.io/service-name=${o.service}` });
      const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready === true).length;
      return ready >= o.want ? true : undefined;
    },
    {
      description: `Service ${o.service} to list its ${o.want} ready endpoint(s)`,
      timeoutMs: 30_000,
      intervalMs: 100,
      clock: o.clock,
      signal: o.signal,
      hint: "the endpoint controller of the kube-controller-manager adds ready pods to the Service; its log in the node (crictl logs) says why it did not",
    },
  );
}
