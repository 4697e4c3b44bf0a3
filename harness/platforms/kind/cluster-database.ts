import { AppsV1Api, CoreV1Api, type KubeConfig, type KubernetesObject, type V1Service, type V1StatefulSet } from "@kubernetes/client-node";
import { waitFor, type Clock } from "../../common/clock.js";
import { HarnessError } from "../../common/errors.js";
import { DB } from "../../model/database.js";
import type { Database, PlatformContext } from "../platform.js";
import { KubectlPortForward } from "../kubernetes/kubectl-port-forward.js";
import { K8S_LABEL, pullPolicy } from "./manifests.js";
import { StuckWatch } from "./rollout-status.js";

const NAME = "postgres";

/**
 * PostgreSQL inside the cluster, for a cluster the harness did not create
 * (its nodes share no Docker network with this machine): a StatefulSet of one
 * pod from the harness's own postgres image, and a Service in front of it, in
 * the run's database namespace (the document's database tier, which the
 * service's NetworkPolicy lets it reach on 5432).
 */
export function clusterDatabaseObjects(o: { namespace: string; runId: string; imageRef: string; database: string }): { service: V1Service; statefulSet: V1StatefulSet } {
  const labels = { [K8S_LABEL.runId]: o.runId, [K8S_LABEL.role]: "database" };
  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: NAME, namespace: o.namespace, labels },
    spec: { selector: labels, ports: [{ name: "postgres", port: DB.port, targetPort: DB.port }] },
  };
  const statefulSet: V1StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: NAME, namespace: o.namespace, labels },
    spec: {
      serviceName: NAME,
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: NAME,
              image: o.imageRef,
              imagePullPolicy: pullPolicy(o.imageRef),
              // The image's baked cluster is for these credentials: it starts at "ready" instead of running initdb.
              env: [
                { name: "POSTGRES_USER", value: DB.user },
                { name: "POSTGRES_PASSWORD", value: DB.password },
                { name: "POSTGRES_DB", value: o.database },
              ],
              // As testcontainers starts it on the other platforms: no fsync at every commit (a game day's database is thrown away).
              args: ["postgres", "-c", "fsync=off"],
              ports: [{ containerPort: DB.port, name: "postgres" }],
              // Over TCP: the entrypoint's initialisation server listens on the socket alone, so it is not taken for the real one.
              readinessProbe: { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", DB.user, "-d", o.database] }, periodSeconds: 1, failureThreshold: 3 },
            },
          ],
        },
      },
    },
  };
  return { service, statefulSet };
}

/** Start PostgreSQL in `namespace` and wait for its pod to be ready; the services reach it by the Service's ClusterIP, the harness by kubectl port-forward. */
export async function startClusterDatabase(o: {
  ctx: PlatformContext;
  restricted: KubeConfig;
  namespace: string;
  imageRef: string;
  apply: (obj: KubernetesObject) => Promise<void>;
  clock: Clock;
}): Promise<Database> {
  const { ctx, namespace } = o;
  const core = o.restricted.makeApiClient(CoreV1Api);
  const apps = o.restricted.makeApiClient(AppsV1Api);
  const name = ctx.databaseName ?? DB.name;
  const objects = clusterDatabaseObjects({ namespace, runId: ctx.runId, imageRef: o.imageRef, database: name });
  const started = o.clock.now();
  await o.apply(objects.service);
  await o.apply(objects.statefulSet);
  const watch = new StuckWatch(o.clock);
  let stuck: string | undefined;
  await waitFor(
    async () => {
      const s = await apps.readNamespacedStatefulSet({ name: NAME, namespace });
      if ((s.status?.readyReplicas ?? 0) >= 1) return true;
      // An image the nodes cannot pull, a server that crash-loops: no use waiting out the deadline.
      stuck = watch.check((await core.listNamespacedPod({ namespace, labelSelector: `${K8S_LABEL.role}=database` })).items);
      return stuck ? true : undefined;
    },
    {
      description: `PostgreSQL's StatefulSet in ${namespace} to be ready`,
      timeoutMs: 180_000,
      intervalMs: 250,
      clock: o.clock,
      signal: ctx.signal,
      hint: `its pod's events and log: kubectl -n ${namespace} describe pod ${NAME}-0; kubectl -n ${namespace} logs ${NAME}-0 (saved to the run folder's logs/ at the end)`,
    },
  );
  if (stuck) {
    throw new HarnessError("CLUSTER_FAILED", `PostgreSQL in ${namespace} cannot start: ${stuck}`, {
      hint: "an image that cannot be pulled: can the cluster's nodes pull from the registry the harness pushed to (--registry)? The namespace's events are saved in the run folder's logs/",
    });
  }
  const clusterIp = (await core.readNamespacedService({ name: NAME, namespace })).spec?.clusterIP;
  if (!clusterIp) throw new HarnessError("CLUSTER_FAILED", `PostgreSQL's Service in ${namespace} has no ClusterIP`);
  ctx.emit({ type: "resource.started", kind: "statefulset", role: "database", name: NAME, id: `${namespace}/${NAME}`, seconds: (o.clock.now() - started) / 1000 });
  ctx.emit({ type: "database.ready", database: name, server: `${namespace}/${NAME}` });
  let forwarder: Promise<KubectlPortForward> | undefined;
  const unsupported = (what: string) => () =>
    Promise.reject(
      new HarnessError("USAGE", `${what} PostgreSQL in the cluster is not available on --platform kubernetes: its data lives with its pod`, {
        hint: "database faults and backups run on --platform docker or kind, whose PostgreSQL is a container the harness controls",
      }),
    );
  return {
    name,
    serviceUrl: `postgres://${DB.user}:${DB.password}@${clusterIp}:${DB.port}/${name}`,
    harnessUrl: async () => {
      forwarder ??= KubectlPortForward.start({ kubeConfig: o.restricted, namespace, target: `pod/${NAME}-0`, ports: [DB.port], runId: ctx.runId }).then((f) => {
        ctx.teardown.add(`stop kubectl port-forward to ${namespace}/${NAME}-0`, () => f.stop());
        return f;
      });
      const { host, port } = (await forwarder).endpoint(DB.port)!;
      return `postgres://${DB.user}:${DB.password}@${host}:${port}/${name}`;
    },
    pause: unsupported("pausing"),
    unpause: unsupported("unpausing"),
    stop: unsupported("stopping"),
    start: unsupported("starting"),
    exec: () => {
      throw new HarnessError("USAGE", "running a command in PostgreSQL's pod (pg_dump, pg_restore) is not available on --platform kubernetes", {
        hint: "backups and restores run on --platform docker or kind",
      });
    },
    destroy: unsupported("destroying"),
  };
}
