import type { Readable, Writable } from "node:stream";
import type { TeardownStack } from "../cleanup/teardown.js";
import type { CommandStream } from "../common/command-stream.js";
import type { ImageBuilder } from "../images/builder.js";
import type { FaultSettings } from "../model/fault-knobs.js";
import type { PlatformName } from "../model/platform-name.js";
import type { Sink } from "../timeline/events.js";
import type { KubernetesView } from "./kubernetes-view.js";

/** What a platform needs from the run; platforms know nothing of scenarios. */
export interface PlatformContext {
  readonly runId: string;
  /** Folder for the logs of everything the platform starts. */
  readonly logDir: string;
  readonly emit: Sink;
  readonly teardown: TeardownStack;
  readonly images: ImageBuilder;
  readonly signal: AbortSignal;
  /**
   * Configuration the platform applies (a manifest, a component's file, an
   * instance's environment), by subject ("router/haproxy.cfg"), whenever it
   * applies it: the run backs it up when it changed (backup.configuration).
   */
  readonly recordConfiguration?: (subject: string, content: string) => void;
  /** The database the services use: the environment's own (environments.yml: agi_eval_dev, ...), or DB.name without one. */
  readonly databaseName?: string;
}

/** A place to run the reference service and its database: Docker or kind. */
export interface Platform {
  readonly name: PlatformName;
  /**
   * PostgreSQL for the services. `standby`: started apart, where the services
   * do not look yet (a restore target); pointServicesAt() moves them to it.
   */
  startDatabase(options?: { standby?: boolean }): Promise<Database>;
  /**
   * Point every deployed service at `database` (a standby that was restored),
   * as an operator would: Docker gives it the network alias the services
   * connect to; kind writes its address into database-secret and restarts the
   * Deployments. Resolves once every Deployment is rolled out; returns a
   * one-line description.
   */
  pointServicesAt(database: Database): Promise<string>;
  /**
   * A TCP fault proxy (Toxiproxy) on the platform's network in front of the
   * database: the Database handed back is `database` with its serviceUrl on
   * the proxy (services deployed with it connect through it) and the proxy
   * itself, for the network faults (harness/faults/database-network.ts).
   */
  startDatabaseProxy(database: Database): Promise<Database>;
  deploy(spec: DeploySpec): Promise<Service>;
  /** Roles may be deployed at the same time (each deploy() independent of the others in flight). */
  readonly deploysConcurrently?: boolean;
  /**
   * host:port on the platform's network of each instance a role will have,
   * before it is deployed, where the platform names them up front (Docker's
   * aliases): a router and Prometheus can then start beside the services
   * instead of after them.
   */
  plannedAddresses?(role: string, replicas: number): string[];
  /** host:port on the platform's network of a component (router, Prometheus) before it starts, where plannedAddresses is known too. */
  plannedComponentAddress?(role: string, port: number): string;
  /**
   * Addresses come with the pods (kind): deploy() and startComponent() call
   * their spec's onAddressed as soon as they are known, before ready.
   */
  readonly addressesBeforeReady?: boolean;
  /** A supporting part (router, Prometheus) from a catalog image with configuration files. */
  startComponent(spec: ComponentSpec): Promise<Component>;
  /** Make the catalog images the run will use available to the platform up front (kind loads them into its node in one go). */
  preload?(images: readonly string[]): Promise<void>;
  /** What an operator does to a deployed role during a game day, where the platform implements it (harness/actions/ performs them). */
  readonly operations: Operations;
  /**
   * host:port of a DNS server that resolves the platform's instance addresses,
   * where they can change under the same name (Docker's embedded DNS): the
   * router re-resolves through it after an operation replaced an instance.
   */
  readonly dnsResolver?: string;
  /** The API server's view of the pods, on the platforms that have one (kind). */
  readonly kubernetes?: KubernetesView;
}

/**
 * Operator operations on a deployed role; each returns a one-line description
 * for the timeline. A platform leaves out what it cannot do; the action
 * registry names the platforms of each action, and a test keeps the two in step.
 */
export interface Operations {
  /** `kubectl set image`: roll the role to another version of the reference service. */
  rollout?(role: string, version: string, options?: RolloutOptions): Promise<string>;
  /** `kubectl rollout undo`: back to the previous version, then wait until it is complete. */
  rolloutUndo?(role: string, options?: RolloutOptions): Promise<string>;
  /** Delete one instance (pod) of the role; the platform replaces it. */
  deleteInstance?(role: string): Promise<string>;
  /**
   * SIGKILL to the main process of one instance (0-based, in the order of the
   * role's instances). What follows is the platform's restart policy, so the
   * platform also says how to undo it (the kill fault in harness/faults/ uses this).
   */
  killInstance?(role: string, index: number): Promise<KilledInstance>;
  /**
   * Cut one instance off from a peer: every packet between the instance and
   * the peer's addresses (taken when this is called) is dropped, both ways,
   * by rules in the instance's own network namespace. The peer is "database"
   * or the role of another part of the run (a deployed role, "router",
   * "prometheus"). The partition fault in harness/faults/ uses this.
   */
  partitionInstance?(role: string, index: number, peer: string): Promise<InstanceFault>;
  /**
   * A crash loop: the instance's process is killed (SIGKILL) each time the
   * platform brings it back, until undone; the platform's own restart
   * machinery restarts it with its own back-off (kind: the kubelet, which
   * shows CrashLoopBackOff; Docker: a restart policy the fault sets). Each
   * restart goes on the timeline (instance.restarted). The crash-loop fault
   * in harness/faults/ uses this.
   */
  crashLoopInstance?(role: string, index: number): Promise<InstanceFault>;
  /**
   * stress-ng in one instance's container, so in its cgroup: CPU workers, or
   * memory held up to a share of the container's memory limit (see Stress).
   * The resource-pressure faults in harness/faults/ use this.
   */
  stressInstance?(role: string, index: number, stress: Stress): Promise<InstanceFault>;
  /**
   * `kubectl drain` of a node of the cluster ("worker", "worker2"): cordoned,
   * every pod on it but DaemonSets' evicted through the Eviction API (so
   * PodDisruptionBudgets hold evictions back), done when none is left.
   * Undo uncordons it. The node-drain fault uses this.
   */
  drainNode?(node: string): Promise<InstanceFault>;
  /** A node of the cluster stops at once (a machine losing power), until its node is not ready; undo starts it again. The node-down fault uses this. */
  stopNode?(node: string): Promise<InstanceFault>;
}

export interface RolloutOptions {
  /** Resolve only once every instance runs the new version and is ready (`kubectl rollout status`); otherwise the step watches. */
  readonly wait?: boolean;
  /**
   * The router in front of the role's instances, where the platform has no
   * load balancer of its own (Docker): the rollout replaces one instance at a
   * time behind it, as a Deployment's rolling update does behind its Service.
   */
  readonly gate?: InstanceGate;
}

/**
 * A router in front of a role's instances, as a rolling replacement uses it:
 * an instance leaves the rotation before it is replaced and comes back once
 * its successor is ready, so no request goes to an instance on its way out.
 */
export interface InstanceGate {
  /** Send no new request to the instance (its server name on the router, `<role>-<index>`) and resolve once none is in flight. */
  drain(server: string): Promise<void>;
  /** Send requests to the instance again, now at `address` (ip:port on the platform's network). */
  readmit(server: string, address: string): Promise<void>;
}

/** A fault a platform put on one instance: what it did, for the timeline, and how to take it away (safe to call more than once). */
export interface InstanceFault {
  readonly detail: string;
  /** Take it away; may say what it found (a line for fault.undone). */
  undo(): Promise<void | string>;
}

/** What stress-ng does in an instance's container. */
export type Stress =
  /** `workers` CPU hogs, each busy `load` percent of the time. */
  | { readonly kind: "cpu"; readonly workers: number; readonly load: number }
  /**
   * Memory held and kept touched: `fill` percent of the container's memory
   * limit (100 and over: the limit together with the service's own memory is
   * passed and the kernel's OOM killer kills the service, which is made its
   * first choice). `limitBytes` is the limit to set where the container has
   * none (the run's Docker containers); where it has one (a pod's), it is kept.
   */
  | { readonly kind: "memory"; readonly fill: number; readonly limitBytes: number };

/** An instance a platform killed: what happened, for the timeline, and how to bring it back. */
export interface KilledInstance {
  /** One line: what was killed and what restarts it, if anything. */
  readonly detail: string;
  /** Bring the instance back where nothing restarts it (Docker); nothing where something does (kind's kubelet). */
  restore(): Promise<void>;
}

export type OperationName = keyof Operations;

export type { AccessCheck, AccessReview, ConnectionCheck, ConnectionOutcome, ConnectionTest, EncryptionAtRest, KeyRotation, KubernetesView, SecretAtRest } from "./kubernetes-view.js";

export interface ComponentSpec {
  /** Names the component and its address on the platform's network ("router"). */
  readonly role: string;
  /** Logical image in the catalog ("haproxy"). */
  readonly image: string;
  /**
   * What it is to the service's network policy (network-policies.yml): the
   * load balancer reaches the application port, monitoring the metrics port
   * from a namespace of its own (kind).
   */
  readonly part: "load-balancer" | "monitoring";
  readonly files: ReadonlyArray<{ readonly path: string; readonly content: string }>;
  readonly ports: readonly number[];
  /** Ready when this HTTP path answers 200 on the given port. */
  readonly ready: { readonly port: number; readonly path: string };
  /** Called once its address on the platform's network is known, before it is ready (what scrapes it can start meanwhile). */
  readonly onAddressed?: (address: (port: number) => string) => void;
}

export interface Component {
  readonly name: string;
  /** Host and port reachable from the harness for a container port. */
  endpoint(port: number): { host: string; port: number };
  /** host:port of a container port for the other parts on the platform (Prometheus scraping the router). */
  address(port: number): string;
}

export interface DeploySpec {
  /** Role in the scenario (stable, candidate); names the containers. */
  readonly role: string;
  /** Version of the reference service: an image in the catalog, app:<version>. */
  readonly version: string;
  readonly replicas: number;
  /** Let the environment's autoscaler drive the replicas from there, where the platform and the overlay have one (kind's production). */
  readonly autoscale?: boolean;
  readonly faults: FaultSettings;
  readonly database: Database | undefined;
  /** Environment every instance gets beside the fault knobs (the request-duration histogram's buckets). */
  readonly env?: Readonly<Record<string, string>>;
  /** The seed of the instances' fault randomness (SEED): instance i of Docker gets seed + i; a Deployment's pods share it. */
  readonly seed?: number;
  /**
   * Called once, as soon as every replica has its address on the platform's
   * network and before it is ready, where the platform learns addresses only
   * then (kind: a pod's IP): what depends on addresses alone (the router,
   * Prometheus) can start beside the rollout.
   */
  readonly onAddressed?: (role: AddressedRole) => void;
}

export interface Database {
  /** The database in the server the services use (agi_eval_prod, evaluations, ...). */
  readonly name: string;
  /** Connection URL for services on the platform's network. */
  readonly serviceUrl: string;
  /** The fault proxy the services reach the database through, when the run started one. */
  readonly proxy?: DatabaseProxy;
  /** Connection URL from the harness (loopback). */
  harnessUrl(): Promise<string>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Run a command in the database's container as its postgres user: pg_dump
   * and pg_restore, the server's own tools at its version. Its stdout streams
   * back as it is written, or straight into `stdout` (another command's stdin
   * pipe); `stdin` streams in, or with `"pipe"` the CommandStream's stdin is
   * the pipe to hand to the command that feeds it.
   */
  exec(command: readonly string[], io?: { stdin?: Readable | "pipe"; stdout?: Writable }): CommandStream;
  /**
   * Remove the container and its volumes: its data is gone (a disaster
   * recovery game day's disaster). The platform's startDatabase() starts a
   * fresh one.
   */
  destroy(): Promise<void>;
}

export interface Instance {
  readonly name: string;
  /** host:port on the platform's own network, for the router and Prometheus. */
  readonly address: string;
  /** host:port Prometheus scrapes, where the instance serves /metrics on a port of its own (kind: network-policies.yml's metrics port); else `address`. */
  readonly metricsAddress?: string;
  /** Base URL reachable from the harness, e.g. http://127.0.0.1:32771. */
  readonly baseUrl: string;
}

/** What a router or Prometheus needs of a role: its instances' addresses (and the role's own, where it has one), deployed or planned. */
export interface AddressedRole {
  readonly role: string;
  readonly instances: ReadonlyArray<{ readonly address: string; readonly metricsAddress?: string }>;
  readonly address?: string;
}

export interface Service {
  readonly role: string;
  readonly version: string;
  readonly instances: readonly Instance[];
  /**
   * One base URL for the role as a whole, following its instances when they
   * are replaced (kind: its Service through the API server), where the
   * platform has one; load aimed at the role goes there, else to its first instance.
   */
  readonly baseUrl?: string;
  /**
   * host:port of the role as a whole on the platform's network (a Kubernetes
   * Service), where the platform has one: a router in front of the role
   * without a strategy sends there, and the platform's rollouts keep it serving.
   */
  readonly address?: string;
}

/**
 * One impairment of the connections through the database proxy, in
 * Toxiproxy's API terms: `upstream` is what the services send to PostgreSQL,
 * `downstream` what comes back; `toxicity` the share of connections it applies to.
 */
export interface Toxic {
  readonly name: string;
  readonly type: "latency" | "bandwidth" | "reset_peer" | "timeout";
  readonly stream: "upstream" | "downstream";
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

/** The TCP fault proxy between the services and their database. */
export interface DatabaseProxy {
  /** Its container's name. */
  readonly name: string;
  /** Impair every connection through the proxy, those open now and those to come. */
  addToxic(toxic: Toxic): Promise<void>;
  /** Remove a toxic by name; one already gone is fine. */
  removeToxic(name: string): Promise<void>;
  /** A full cut: the proxy closes every connection and refuses new ones, until every cut is restored. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** The toxics in place now. */
  toxics(): Promise<Toxic[]>;
}
