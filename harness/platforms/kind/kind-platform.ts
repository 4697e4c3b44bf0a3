import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  AppsV1Api,
  AutoscalingV2Api,
  PolicyV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { systemClock, waitFor, type Clock } from "../../common/clock.js";
import { HarnessError, errorMessage } from "../../common/errors.js";
import { exec } from "../../common/exec.js";
import { ROOT } from "../../common/paths.js";
import { logTo, startContainer } from "../containers.js";
import { startPostgres } from "../postgres.js";
import { startDatabaseProxy } from "../database-proxy.js";
import type { AddressedRole, Component, ComponentSpec, Database, DeploySpec, Instance, KubernetesView, Operations, Platform, PlatformContext, RolloutOptions, Service } from "../platform.js";
import type { PodsObservation } from "../../model/kubernetes.js";
import { faultEnv } from "../../model/fault-knobs.js";
import type { KindCluster } from "./cluster.js";
import { APP_PORT, FIELD_MANAGER, K8S_LABEL, appObjects, componentObjects, databaseSecret, metricsPortOf } from "./manifests.js";
import { previousTemplate, summarizeDeployment } from "./deployment-reading.js";
import { PodProxy } from "./pod-proxy.js";
import { autoscalerBounds, observePods, secretAtRest } from "./namespace-evidence.js";
import { KindNodeFaults } from "./node-faults.js";
import { encryptionAtRest, rotateEncryptionKey } from "./key-rotation.js";
import { KindInstanceFaults } from "./instance-faults.js";
import { openNamespace, openSideNamespace, sideNamespaceName } from "./namespace.js";
import { NETWORK_AGENT, installNetworkAgent } from "./network-agent.js";
import { METRICS_SERVER, installMetricsServer, requireMetricsApi } from "./metrics-server.js";
import { RunNetworkPolicies } from "./run-policies.js";
import { startReaper } from "../../cleanup/reaper.js";
import { startClusterDatabase } from "./cluster-database.js";
import type { ClusterHandle } from "../kubernetes/cluster-handle.js";
import { ComponentAccess } from "./component-access.js";
import { ConnectionTests } from "./connectivity.js";
import { EXTERNAL_CLUSTER_RULES, HARNESS_ACCOUNT, reviewAccess, serviceAccountUser } from "./rbac.js";
import { waitEndpointsReady, waitReplacedStopped, waitRolloutComplete } from "./rollout-status.js";

export interface KindPlatformOptions {
  /** The cluster's API and how images reach its nodes. */
  cluster: ClusterHandle;
  /**
   * The same cluster as the kind cluster the harness made, whose node
   * containers, Docker network and mapped ports it reaches on this machine
   * (platform kind); absent for a cluster it was pointed at (platform
   * kubernetes), which it reaches through the API server alone.
   */
  kind?: KindCluster;
  /** Wall seconds per spec second: probe timings scale with it. */
  scale: number;
  /** The document's environment whose kustomize overlay is deployed (k8s/environments/<name>); k8s/base when absent. */
  environment?: string;
  clock?: Clock;
  /** Run the cluster's NetworkPolicy agent (kube-network-policies), so the overlay's policies are enforced; default true. */
  networkAgent?: boolean;
}

/** The namespaces of a run besides its own: the document's monitoring namespace (Prometheus), its database namespace (PostgreSQL in the cluster), and one the service's policy knows nothing of. */
const SIDE_NAMESPACES = { monitoring: "monitoring", database: "database", outside: "outside" } as const;
type SideNamespace = keyof typeof SIDE_NAMESPACES;

/** A version in the cluster: a Deployment and a Service; its instances are its pods, re-read after every rollout. */
class KindService implements Service {
  instances: Instance[] = [];
  baseUrl?: string;
  address?: string;
  /** The port its pods serve /metrics on apart from the application's, if any (METRICS_PORT). */
  metricsPort?: number;
  constructor(
    readonly namespace: string,
    readonly role: string,
    /** The version its Deployment's pod template runs: changed by a rollout. */
    public version: string,
    readonly deployment: string,
  ) {}
}

/**
 * The reference service, the router and Prometheus in a kind cluster, one
 * namespace per run; PostgreSQL a testcontainers container on the cluster's
 * Docker network. Pods are reached through the API server's pod proxy, the
 * router and Prometheus through NodePorts kind maps to 127.0.0.1.
 */
export class KindPlatform implements Platform {
  readonly name: "kind" | "kubernetes";
  readonly namespace: string;
  readonly operations: Operations;
  /** Each role is its own Deployment and Service; the shared database-secret is applied server-side, the same object from either. */
  readonly deploysConcurrently = true;
  readonly addressesBeforeReady = true;
  readonly kubernetes: KubernetesView;
  private readonly core: CoreV1Api;
  /** The cluster's admin credentials, for what is not the run's namespace's: the namespace itself, the key rotation. */
  private readonly adminCore: CoreV1Api;
  /** The credentials the namespaced clients read at every request: the harness's ServiceAccount once prepare() has run. */
  private readonly restricted: KubeConfig;
  /** The reference service's ServiceAccount (the overlay's Deployment names it). */
  private serviceAccount = "default";
  private readonly apps: AppsV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly autoscaling: AutoscalingV2Api;
  private readonly policy: PolicyV1Api;
  private readonly objects: KubernetesObjectApi;
  private readonly clock: Clock;
  private ready: Promise<PodProxy> | undefined;
  private rendered: unknown[] | undefined;
  private secretApplied = false;
  private databases = 0;
  private readonly services = new Map<string, KindService>();
  /** The components' ClusterIPs, by role (connection tests reach them there). */
  private readonly components = new Map<string, string>();
  private readonly access: ComponentAccess;
  private readonly networkPolicies: RunNetworkPolicies;
  /** The address the services reach the database at now. */
  private databaseHost: string | undefined;
  private agent: Promise<void> | undefined;
  private metricsServer: Promise<void> | undefined;
  /** Whether a role runs under an autoscaler: the pods' observations then read it too. */
  private autoscaled = false;
  /** Whether a role has a PodDisruptionBudget: the pods' observations then read it too. */
  private budgeted = false;
  private readonly sides = new Map<SideNamespace, Promise<string>>();
  private readonly connections: ConnectionTests;
  /** The kind cluster the harness made, when it is one (platform kind). */
  private readonly kindCluster: KindCluster | undefined;
  /** Each local image ref to the ref the cluster's pods use (cluster-handle.ts). */
  private readonly delivered = new Map<string, string>();

  constructor(
    private readonly ctx: PlatformContext,
    private readonly options: KindPlatformOptions,
  ) {
    // The namespaced clients act as the harness's ServiceAccount once the namespace is open (prepare: rbac.ts); until then they have no credentials.
    const admin = options.cluster.kubeConfig;
    const cluster = admin.getCurrentCluster()!;
    this.restricted = new KubeConfig();
    this.restricted.loadFromOptions({ clusters: [cluster], users: [{ name: "none" }], contexts: [{ name: "none", cluster: cluster.name, user: "none" }], currentContext: "none" });
    this.core = this.restricted.makeApiClient(CoreV1Api);
    this.apps = this.restricted.makeApiClient(AppsV1Api);
    this.discovery = this.restricted.makeApiClient(DiscoveryV1Api);
    this.autoscaling = this.restricted.makeApiClient(AutoscalingV2Api);
    this.policy = this.restricted.makeApiClient(PolicyV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(this.restricted);
    this.adminCore = admin.makeApiClient(CoreV1Api);
    this.clock = options.clock ?? systemClock;
    this.namespace = ctx.runId.slice(0, 63).replace(/-+$/, "");
    const kind = options.kind;
    this.kindCluster = kind;
    this.name = kind ? "kind" : "kubernetes";
    this.access = new ComponentAccess({ kind, restricted: this.restricted, ctx, clock: this.clock });
    // Through the API server: what works on any cluster.
    const api: Operations = {
      rollout: (role, version, options) => this.rollout(role, version, options),
      rolloutUndo: (role) => this.undo(role),
      deleteInstance: (role) => this.deletePod(role),
    };
    if (kind) {
      // Through the node containers on this machine's Docker: only on a kind cluster the harness made.
      const faults = new KindInstanceFaults({ core: this.core, namespace: this.namespace, runId: ctx.runId, network: kind.network, emit: ctx.emit, clock: this.clock, signal: ctx.signal });
      const nodes = new KindNodeFaults({ admin, nodes: kind.nodes, clusterName: kind.name, emit: ctx.emit, clock: this.clock, signal: ctx.signal });
      this.operations = {
        ...api,
        killInstance: (role, index) => faults.kill(role, index),
        partitionInstance: (role, index, peer) => faults.partition(role, index, peer),
        stressInstance: (role, index, stress) => faults.stress(role, index, stress),
        crashLoopInstance: (role, index) => faults.crashLoop(role, index),
        drainNode: (node) => nodes.drain(node),
        stopNode: (node) => nodes.down(node),
      };
    } else this.operations = api;
    this.networkPolicies = new RunNetworkPolicies({
      namespace: this.namespace,
      networking: this.restricted.makeApiClient(NetworkingV1Api),
      apply: (obj) => this.apply(obj),
      emit: ctx.emit,
      ...(kind && kind.nodes.length > 1 ? { controlPlane: kind.controlPlaneAddress } : {}),
    });
    this.connections = new ConnectionTests({
      namespace: this.namespace,
      runId: ctx.runId,
      clock: this.clock,
      signal: ctx.signal,
      namespaceFor: (where) => (where === "run" ? Promise.resolve(this.namespace) : this.side(where)),
      apply: (obj) => this.apply(obj),
      pods: (role, namespace) => this.pods(role, namespace),
      roles: () => this.services,
      components: () => this.components,
      databaseHost: () => this.databaseHost,
      image: (version) => this.clusterRef(`app:${version}`),
    });
    this.kubernetes = {
      observe: () => this.observe(),
      // etcd and the EncryptionConfiguration are read and changed in the control-plane node's container.
      secretAtRest: (name) => secretAtRest(this.core, this.kindOnly("reading etcd"), this.namespace, name),
      // Cluster-wide: every namespace's Secrets are rewritten, the API server's own pod read.
      rotateEncryptionKey: () => rotateEncryptionKey(this.adminCore, this.kindOnly("rotating the encryption key"), this.clock, ctx.signal),
      encryptionAtRest: () => encryptionAtRest(this.kindOnly("reading the encryption configuration"), this.clock, ctx.signal),
      reviewAccess: (check) => reviewAccess(admin, serviceAccountUser(this.namespace, check.as === "harness" ? HARNESS_ACCOUNT : this.serviceAccount), { ...check, namespace: check.namespace ?? this.namespace }),
      testConnection: async (check) => {
        if (this.agent) await this.agent;
        return this.connections.test(check);
      },
    };
  }

  /** The kind cluster, for what goes through its node containers; a clear refusal on a cluster the harness was pointed at. */
  private kindOnly(what: string): KindCluster {
    if (this.kindCluster) return this.kindCluster;
    throw new HarnessError("USAGE", `${what} needs the cluster's nodes, which --platform kubernetes does not touch`, { hint: "run the scenario with --platform kind" });
  }

  /** What the harness's Role holds besides its own rules on a cluster it was pointed at (rbac.ts). */
  private get extraRules(): readonly V1PolicyRule[] {
    return this.kindCluster ? [] : EXTERNAL_CLUSTER_RULES;
  }

  /** The run's namespace and the pod proxy, once (kind/namespace.ts). */
  private prepare(): Promise<PodProxy> {
    if (!this.ready) {
      const source = this.options.cluster.source;
      if (source) {
        // In a cluster the harness did not create, a killed run's namespaces would outlive it: a watchdog deletes them then.
        // Registered before the namespaces' own teardown, so it stops after them.
        const reaper = startReaper(`${this.ctx.runId}-namespaces`, { what: `the run's namespaces in context ${source.context}`, namespaces: { ...source, selector: `${K8S_LABEL.runId}=${this.ctx.runId}` } });
        this.ctx.teardown.add("stop the watchdog of the run's namespaces", () => reaper.stop());
      }
      this.ready = openNamespace({ admin: this.options.cluster.kubeConfig, restricted: this.restricted, core: this.core, ctx: this.ctx, namespace: this.namespace, clock: this.clock, rules: this.extraRules });
      // The policy agent comes up meanwhile; a deploy waits for it before it counts as up. Only in a cluster of the harness's own.
      if (this.kindCluster && this.options.networkAgent !== false) this.networkAgent().catch(() => undefined);
    }
    return this.ready;
  }

  /** kube-network-policies on every node (network-agent.ts), so the overlay's policies are enforced. */
  private networkAgent(): Promise<void> {
    this.agent ??= this.addon(NETWORK_AGENT, "kube-network-policies", installNetworkAgent);
    return this.agent;
  }

  /** metrics-server (metrics-server.ts), for the autoscalers; a cluster the harness was pointed at must serve the metrics API itself. */
  private ensureMetricsServer(): Promise<void> {
    this.metricsServer ??= this.kindCluster ? this.addon(METRICS_SERVER, "metrics-server", installMetricsServer) : requireMetricsApi(this.options.cluster.kubeConfig, this.options.cluster.name);
    return this.metricsServer;
  }

  /**
   * A part of the cluster itself in kube-system: its image loaded into the
   * node, its objects applied with the admin credentials and waited for.
   * Cluster-wide and left in place for the cluster's later runs (a kept
   * cluster finds it there, and applying it again changes nothing).
   */
  private async addon(name: string, image: string, install: (o: { admin: KubeConfig; imageRef: string; nodes: readonly string[]; clock: Clock; signal?: AbortSignal }) => Promise<number>): Promise<void> {
    const started = this.clock.now();
    const ref = await this.clusterRef(image);
    await install({ admin: this.options.cluster.kubeConfig, imageRef: ref, nodes: this.kindOnly(`the ${name} add-on`).nodes, clock: this.clock, signal: this.ctx.signal });
    this.ctx.emit({ type: "kubernetes.addon", name, image: ref, seconds: (this.clock.now() - started) / 1000 });
  }

  /** A namespace of the run's besides its own (namespace.ts), once: "monitoring" carries the document's monitoring tier. */
  private side(which: SideNamespace): Promise<string> {
    let pending = this.sides.get(which);
    if (!pending) {
      const name = sideNamespaceName(this.namespace, SIDE_NAMESPACES[which]);
      pending = this.prepare().then(() =>
        openSideNamespace({
          admin: this.options.cluster.kubeConfig,
          restricted: this.restricted,
          core: this.core,
          ctx: this.ctx,
          namespace: this.namespace,
          name,
          ...(which === "outside" ? {} : { tier: which }),
          clock: this.clock,
          rules: this.extraRules,
        }).then(() => name),
      );
      this.sides.set(which, pending);
    }
    return pending;
  }

  /** A database the services will reach: its address joins the policies' database peer. */
  private async databaseAt(database: Database): Promise<Database> {
    await this.networkPolicies.addDatabase(database.serviceUrl);
    return database;
  }

  /** PostgreSQL on the cluster's network; a standby is no different until pointServicesAt() writes its address into database-secret. */
  async startDatabase(): Promise<Database> {
    if (!this.kindCluster) {
      // No Docker network shared with the nodes: PostgreSQL runs in the cluster, in the run's database namespace.
      if (++this.databases > 1) throw new HarnessError("USAGE", "a second database (a standby, a restore) is not available on --platform kubernetes", { hint: "run the scenario with --platform kind or docker" });
      const [namespace, imageRef] = await Promise.all([this.side("database"), this.clusterRef("postgres")]);
      return startClusterDatabase({ ctx: this.ctx, restricted: this.restricted, namespace, imageRef, apply: (obj) => this.apply(obj), clock: this.clock });
    }
    const kind = this.kindCluster;
    // PostgreSQL runs on Docker beside the node and needs nothing of the namespace: the namespace comes up meanwhile,
    // for the deploys that do (they await it, and its failure with it).
    this.prepare().catch(() => undefined);
    const n = ++this.databases;
    const name = n === 1 ? `gameday-${this.ctx.runId}-db` : `gameday-${this.ctx.runId}-db-${n}`;
    return this.databaseAt(
      await startPostgres(this.ctx, {
        name,
        network: kind.network,
        start: (run) => startContainer(this.ctx, "database", name, run),
        logTo: logTo(this.ctx, name),
      }),
    );
  }

  /** As an operator would: database-secret gets the new address, and every Deployment restarts to read it (`kubectl rollout restart`). */
  async pointServicesAt(database: Database): Promise<string> {
    await this.apply(databaseSecret(this.namespace, this.ctx.runId, database.serviceUrl));
    this.databaseHost = new URL(database.serviceUrl).hostname;
    const restartedAt = new Date(this.clock.now()).toISOString();
    const services = [...this.services.values()];
    for (const svc of services) {
      await this.apps.patchNamespacedDeployment(
        { name: svc.deployment, namespace: this.namespace, body: { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": restartedAt } } } } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      );
    }
    await Promise.all(services.map((svc) => this.waitRollout(svc, { ready: true })));
    return `database-secret points at ${new URL(database.serviceUrl).host}; deployments ${services.map((s) => s.deployment).join(", ")} restarted`;
  }

  /** Toxiproxy as a container on the cluster's Docker network, like PostgreSQL: the database-secret then holds the proxy's address. */
  async startDatabaseProxy(database: Database): Promise<Database> {
    const kind = this.kindOnly("a fault proxy in front of the database (Toxiproxy on the nodes' Docker network)");
    await this.prepare();
    const name = `gameday-${this.ctx.runId}-db-proxy`;
    return this.databaseAt(
      await startDatabaseProxy(this.ctx, database, {
        name,
        network: kind.network,
        start: (run) => startContainer(this.ctx, "database-proxy", name, run),
        logTo: logTo(this.ctx, name),
      }),
    );
  }

  async deploy(spec: DeploySpec): Promise<Service> {
    await this.prepare();
    const imageRef = await this.clusterRef(`app:${spec.version}`);
    if (spec.database && !this.secretApplied) {
      await this.apply(databaseSecret(this.namespace, this.ctx.runId, spec.database.serviceUrl));
      this.databaseHost = new URL(spec.database.serviceUrl).hostname;
      this.secretApplied = true;
    }
    const source = this.options.environment ? `k8s/environments/${this.options.environment}` : "k8s/base";
    const { deployment, service, serviceAccount, networkPolicies, autoscaler, disruptionBudget } = appObjects(await this.renderOverlay(source), source, {
      namespace: this.namespace,
      runId: this.ctx.runId,
      role: spec.role,
      version: spec.version,
      imageRef,
      replicas: spec.replicas,
      env: { ...spec.env, ...(spec.seed !== undefined ? { SEED: String(spec.seed) } : {}), ...faultEnv(spec.faults) },
      database: spec.database !== undefined,
      scale: this.options.scale,
      autoscale: spec.autoscale === true,
    });
    // The autoscaler reads metrics-server, which comes up meanwhile.
    if (autoscaler) this.ensureMetricsServer().catch(() => undefined);
    const started = this.clock.now();
    if (serviceAccount) {
      await this.apply(serviceAccount);
      this.serviceAccount = serviceAccount.metadata!.name!;
    }
    // Before the pods: none of them runs a moment without its policies.
    await this.networkPolicies.adopt(networkPolicies);
    await this.apply(service);
    await this.apply(deployment);
    if (autoscaler) {
      await this.apply(autoscaler);
      this.autoscaled = true;
    }
    if (disruptionBudget) {
      await this.apply(disruptionBudget);
      this.budgeted = true;
    }
    const name = deployment.metadata!.name!;
    const kindService = new KindService(this.namespace, spec.role, spec.version, name);
    const metricsPort = metricsPortOf(deployment);
    if (metricsPort !== undefined) kindService.metricsPort = metricsPort;
    if (spec.onAddressed) this.reportAddresses(kindService, spec.replicas, spec.onAddressed);
    const proxy = await this.prepare();
    const port = service.spec?.ports?.[0]?.port ?? APP_PORT;
    kindService.baseUrl = proxy.serviceUrlFor(this.namespace, service.metadata!.name!, port);
    // By ClusterIP, not the Service's DNS name: a new cluster's DNS may not answer yet when the router resolves its servers, once, at its start.
    kindService.address = `${await this.clusterIp(service.metadata!.name!)}:${port}`;
    this.services.set(spec.role, kindService);
    const live = await this.waitRollout(kindService, { ready: !spec.faults.readinessFail });
    // Up means served: the Service lists every replica (the endpoint controller adds a Ready pod a moment later).
    if (!spec.faults.readinessFail) await waitEndpointsReady({ discovery: this.discovery, namespace: this.namespace, service: service.metadata!.name!, want: spec.replicas, clock: this.clock, signal: this.ctx.signal });
    // Up means its policies are enforced too, and its autoscaler has the pods' figures to go by.
    if (this.agent) await this.agent;
    if (autoscaler) await this.ensureMetricsServer();
    this.ctx.emit({ type: "resource.started", kind: "deployment", role: spec.role, name, id: `${this.namespace}/${name}`, seconds: (this.clock.now() - started) / 1000 });
    const networkPolicy = await this.networkPolicies.selecting(live);
    this.ctx.emit({ type: "deployment.observed", role: spec.role, source, deployment: { ...summarizeDeployment(live), networkPolicy, ...(autoscaler ? { autoscaler: autoscalerBounds(autoscaler) } : {}) } });
    return kindService;
  }

  async startComponent(spec: ComponentSpec): Promise<Component> {
    await this.prepare();
    const imageRef = await this.clusterRef(spec.image);
    // On kind, NodePorts that kind-config.yaml maps to this machine; elsewhere a ClusterIP Service reached by port-forward.
    const nodePorts = this.access.reserve(spec.role, spec.ports);
    // Monitoring runs in the document's monitoring namespace, which the service's policy lets scrape its metrics port.
    const namespace = spec.part === "monitoring" ? await this.side("monitoring") : this.namespace;
    const objects = componentObjects({
      namespace,
      runId: this.ctx.runId,
      role: spec.role,
      part: spec.part,
      imageRef,
      files: spec.files,
      ports: spec.ports,
      ...(nodePorts ? { nodePorts } : {}),
      onControlPlane: this.kindCluster !== undefined,
      ready: spec.ready,
    });
    const started = this.clock.now();
    await this.apply(objects.configMap);
    // A run before this one in the same cluster may still hold the NodePort for a moment while its namespace goes.
    await waitFor(() => this.apply(objects.service).then(() => true), {
      description: nodePorts ? `NodePorts ${[...nodePorts.values()].join(", ")} for the ${spec.role}` : `the ${spec.role}'s Service`,
      timeoutMs: 30_000,
      intervalMs: 500,
      clock: this.clock,
      signal: this.ctx.signal,
      hint: "another run in this cluster holds them: wait for it to end, or use a cluster of its own (leave out --keep-cluster)",
    });
    // By ClusterIP: nothing the harness runs depends on cluster DNS, which a new cluster may not serve yet.
    const clusterIp = await this.clusterIp(spec.role, namespace);
    await this.apply(objects.deployment);
    const svc = new KindService(namespace, spec.role, spec.image, spec.role);
    // Before ready, by its pod's IP: a ClusterIP that kube-proxy has not programmed yet answered a scraper that came
    // that early with 404s on a new cluster, for good (its connection kept alive); a pod's IP routes from the start.
    const onAddressed = spec.onAddressed;
    if (onAddressed) this.podIps(svc, 1).then(([ip]) => onAddressed((port) => `${ip}:${port}`), () => undefined);
    await this.waitRollout(svc, { ready: true });
    // Ready from the harness too: the path to this machine answers.
    const endpoint = await this.access.open({ role: spec.role, namespace, ports: spec.ports, ready: spec.ready }, nodePorts);
    this.ctx.emit({ type: "resource.started", kind: "deployment", role: spec.role, name: spec.role, id: `${namespace}/${spec.role}`, seconds: (this.clock.now() - started) / 1000 });
    if (clusterIp) this.components.set(spec.role, clusterIp);
    return { name: spec.role, endpoint, address: (port) => `${clusterIp}:${port}` };
  }

  async preload(images: readonly string[]): Promise<void> {
    const refs: string[] = [];
    for (const image of images) refs.push((await this.ctx.images.ensure(image)).ref);
    await this.deliver(refs);
  }

  /** A catalog image, built when missing, made available to the cluster: the ref its pods name it by. */
  private async clusterRef(image: string): Promise<string> {
    const { ref } = await this.ctx.images.ensure(image);
    return (await this.deliver([ref])).get(ref)!;
  }

  private async deliver(refs: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const missing = refs.filter((r) => !this.delivered.has(r));
    if (missing.length > 0) {
      const got = await this.options.cluster.deliver(missing, (line) => this.ctx.emit({ type: "note", level: "info", message: line }), this.ctx.signal);
      for (const [local, remote] of got) this.delivered.set(local, remote);
    }
    return new Map(refs.map((r) => [r, this.delivered.get(r)!]));
  }

  private async renderOverlay(dir: string): Promise<unknown[]> {
    if (this.rendered) return this.rendered;
    const kubectl = join(ROOT, ".cache/tools/bin/kubectl");
    if (!existsSync(kubectl)) {
      throw new HarnessError("TOOL_MISSING", "kubectl (for its kustomize) is not built", { hint: "bash scripts/tools.sh kubectl builds it into .cache/tools/bin" });
    }
    const { stdout } = await exec(kubectl, ["kustomize", join(ROOT, dir)]);
    this.rendered = parseAllDocuments(stdout).map((d) => d.toJS() as unknown);
    return this.rendered;
  }

  private async apply(obj: KubernetesObject): Promise<void> {
    this.ctx.recordConfiguration?.(`${obj.kind}/${obj.metadata?.name}`, stringify(obj));
    try {
      await this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (e) {
      throw new HarnessError("CLUSTER_FAILED", `the API server refused ${obj.kind} ${obj.metadata?.name}: ${errorMessage(e).slice(0, 400)}`, { cause: e });
    }
  }

  /** The pods' IPs, sorted by pod name, once `replicas` pods of the role have one (before they are ready). */
  private async podIps(svc: KindService, replicas: number): Promise<string[]> {
    const pods = await waitFor(
      async () => {
        const addressed = (await this.pods(svc.role, svc.namespace)).filter((p) => p.status?.podIP);
        return addressed.length >= replicas ? addressed : undefined;
      },
      { description: `the ${svc.role} pods' addresses`, timeoutMs: 60_000, intervalMs: 200, clock: this.clock, signal: this.ctx.signal },
    );
    return pods.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1)).map((p) => p.status!.podIP!);
  }

  /** Tell `onAddressed` the role's pod addresses as soon as they are known (best effort: without it, what waits for them starts after the rollout). */
  private reportAddresses(svc: KindService, replicas: number, onAddressed: (role: AddressedRole) => void): void {
    this.podIps(svc, replicas).then(
      (ips) => onAddressed({ role: svc.role, instances: ips.map((ip) => ({ address: `${ip}:${APP_PORT}`, ...(svc.metricsPort !== undefined ? { metricsAddress: `${ip}:${svc.metricsPort}` } : {}) })) }),
      () => undefined,
    );
  }

  private async pods(role: string, namespace = this.namespace): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace, labelSelector: `${K8S_LABEL.role}=${role}` });
    return list.items.filter((p) => !p.metadata?.deletionTimestamp);
  }

  /**
   * Wait until the Deployment's rollout is complete (what `kubectl rollout
   * status` waits for), failing at once when a pod is stuck in a way waiting
   * does not fix, and until the pods it replaced have stopped: `rollout
   * status` returns while they still serve as lame ducks (LAME_DUCK) what
   * reaches them, so only then does every answer come from the new version.
   * Then the service's instances are its current pods.
   */
  private async waitRollout(svc: KindService, options: { ready: boolean }): Promise<V1Deployment> {
    const live = await waitRolloutComplete({
      apps: this.apps,
      namespace: svc.namespace,
      deployment: svc.deployment,
      pods: () => this.pods(svc.role, svc.namespace),
      ready: options.ready,
      clock: this.clock,
      signal: this.ctx.signal,
    });
    await waitReplacedStopped({ core: this.core, namespace: svc.namespace, role: svc.role, clock: this.clock, signal: this.ctx.signal, emit: this.ctx.emit });
    await this.refresh(svc);
    return live;
  }

  /** A Service's ClusterIP, assigned when it was created. */
  private async clusterIp(service: string, namespace = this.namespace): Promise<string | undefined> {
    return (await this.core.readNamespacedService({ name: service, namespace })).spec?.clusterIP;
  }

  private async refresh(svc: KindService): Promise<void> {
    const proxy = await this.prepare();
    const pods = (await this.pods(svc.role, svc.namespace)).filter((p) => p.status?.phase === "Running" && p.status.podIP);
    svc.instances = pods
      .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))
      .map((p) => ({
        name: p.metadata!.name!,
        address: `${p.status!.podIP}:${APP_PORT}`,
        ...(svc.metricsPort !== undefined ? { metricsAddress: `${p.status!.podIP}:${svc.metricsPort}` } : {}),
        baseUrl: proxy.urlFor(svc.namespace, p.metadata!.name!, APP_PORT),
      }));
  }

  private service(role: string): KindService {
    const svc = this.services.get(role);
    if (!svc) throw new HarnessError("SCENARIO_INVALID", `no version "${role}" is deployed`);
    return svc;
  }

  /**
   * `kubectl set image`: roll the role's Deployment to another version (its
   * rolling update, behind its Service; the gate is for platforms without
   * one). The step watches what happens; with `wait`, resolves once the
   * rollout is complete (`kubectl rollout status`).
   */
  private async rollout(role: string, version: string, options: RolloutOptions = {}): Promise<string> {
    const svc = this.service(role);
    const imageRef = await this.clusterRef(`app:${version}`);
    await this.apps.patchNamespacedDeployment(
      {
        name: svc.deployment,
        namespace: this.namespace,
        body: { spec: { template: { metadata: { labels: { [K8S_LABEL.version]: version } }, spec: { containers: [{ name: "api", image: imageRef }] } } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    svc.version = version;
    if (!options.wait) return `deployment ${svc.deployment}: image ${imageRef}`;
    await this.waitRollout(svc, { ready: true });
    return `deployment ${svc.deployment}: image ${imageRef}, rolled out, every pod ready`;
  }

  /** `kubectl rollout undo`: the previous revision's pod template, then wait for that rollout to complete. */
  private async undo(role: string): Promise<string> {
    const svc = this.service(role);
    const d = await this.apps.readNamespacedDeployment({ name: svc.deployment, namespace: this.namespace });
    const sets = await this.apps.listNamespacedReplicaSet({ namespace: this.namespace, labelSelector: `${K8S_LABEL.role}=${role}` });
    const { revision, template } = previousTemplate(d, sets.items);
    await this.apps.replaceNamespacedDeployment({ name: svc.deployment, namespace: this.namespace, body: { ...d, spec: { ...d.spec!, template } } });
    svc.version = template.metadata?.labels?.[K8S_LABEL.version] ?? svc.version;
    const live = await this.waitRollout(svc, { ready: true });
    return `deployment ${svc.deployment} rolled back to revision ${revision} (${summarizeDeployment(live).image})`;
  }

  /** Delete one pod of the role; its ReplicaSet replaces it. */
  private async deletePod(role: string): Promise<string> {
    const svc = this.service(role);
    const pod = (await this.pods(role))[0];
    if (!pod) throw new HarnessError("ROLLOUT_FAILED", `no pod of ${svc.deployment} to delete`);
    await this.core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: this.namespace, gracePeriodSeconds: 0 });
    return `pod ${pod.metadata!.name} deleted`;
  }

  /** Pods and ready endpoints per role, as the API server has them now. */
  private async observe(): Promise<PodsObservation[]> {
    const deployments = new Map([...this.services].map(([role, svc]) => [role, svc.deployment]));
    const autoscalers = this.autoscaled ? (await this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: this.namespace })).items : [];
    const budgets = this.budgeted ? (await this.policy.listNamespacedPodDisruptionBudget({ namespace: this.namespace })).items : [];
    return observePods(this.core, this.discovery, this.namespace, deployments, { autoscalers, budgets });
  }
}
