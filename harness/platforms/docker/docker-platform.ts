import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { waitFor } from "../../common/clock.js";
import { allSettledOrThrow } from "../../common/settled.js";
import { HarnessError } from "../../common/errors.js";
import { runLabels } from "../../common/labels.js";
import { sweep } from "../../cleanup/sweep.js";
import { configureTestcontainers, docker } from "../../engine/docker.js";
import { faultEnv } from "../../model/fault-knobs.js";
import { logTo, startContainer } from "../containers.js";
import { startPostgres } from "../postgres.js";
import { startDatabaseProxy } from "../database-proxy.js";
import type { Component, ComponentSpec, Database, DeploySpec, Instance, Operations, Platform, PlatformContext, RolloutOptions, Service } from "../platform.js";
import { APP_PORT, type DeployedRole } from "./deployed-role.js";
import { DockerInstanceOperations } from "./instance-operations.js";

const DB_ALIAS = "db";
/** How often a component's readiness URL is asked, and how long each try may take (testcontainers' read timeout). */
const READY_POLL_MS = 300;

/** An instance answers 200 on /ready (its database and dependencies are there), within a minute. */
function waitReady(instance: Instance): Promise<true> {
  return waitFor(
    async () => {
      const res = await fetch(`${instance.baseUrl}/ready`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    { description: `${instance.name} to answer 200 on /ready`, timeoutMs: 60_000, intervalMs: 100, hint: `read its log in the run folder's logs/` },
  );
}


/** Each version is a set of containers on a network of the run's own. */
export class DockerPlatform implements Platform {
  readonly name = "docker" as const;
  /** Operator actions on Docker: each replaces containers the way Kubernetes' Recreate strategy would. */
  readonly operations: Operations = {
    rollout: (role, version, options) => this.rollout(role, version, options),
    rolloutUndo: (role, options) => this.rolloutUndo(role, options),
    deleteInstance: (role) => this.deleteInstance(role),
    killInstance: (role, index) => this.instanceOps.kill(role, index),
    partitionInstance: (role, index, peer) => this.instanceOps.partition(role, index, peer),
    stressInstance: (role, index, stress) => this.instanceOps.stress(role, index, stress),
    crashLoopInstance: (role, index) => this.instanceOps.crashLoop(role, index),
  };
  /** Docker's embedded DNS: the router re-resolves instances an operation replaced. */
  readonly dnsResolver = "127.0.0.11:53";
  readonly deploysConcurrently = true;
  private network: string | undefined;
  private networkReady: Promise<string> | undefined;
  private readonly roles = new Map<string, string>();
  private readonly deployed = new Map<string, DeployedRole>();
  /** Databases started so far: names each one after the first. */
  private databases = 0;
  private readonly databaseContainers = new Map<Database, string>();
  /** The faults on one instance: kill, partition, stress, crash loop. */
  private readonly instanceOps: DockerInstanceOperations;

  constructor(private readonly ctx: PlatformContext) {
    configureTestcontainers();
    this.instanceOps = new DockerInstanceOperations({
      ctx: this.ctx,
      role: (name) => this.role(name),
      network: () => this.ensureNetwork(),
      restore: async (role, index) => {
        await this.replace(role, role.service.version, [index]);
        await this.waitReplacedReady(role, [index]);
      },
      waitReady: async (role, index) => {
        await this.waitReplacedReady(role, [index]);
      },
    });
  }

  /** The run's network, created once however many parts start at the same time. */
  private ensureNetwork(): Promise<string> {
    return (this.networkReady ??= this.createNetwork());
  }

  private async createNetwork(): Promise<string> {
    const name = `gameday-${this.ctx.runId}`;
    // One teardown for everything this platform starts, registered before the first of it: containers go in parallel, then the network.
    this.ctx.teardown.add(`remove the run's containers and network ${name}`, async () => {
      const removed = await sweep(this.ctx.runId);
      for (const c of removed.containers) this.ctx.emit({ type: "resource.removed", kind: "container", role: this.roles.get(c) ?? "unknown", name: c });
      for (const n of removed.networks) this.ctx.emit({ type: "resource.removed", kind: "network", role: "network", name: n });
    });
    const net = await docker().createNetwork({ Name: name, Driver: "bridge", Labels: runLabels(this.ctx.runId, "network") });
    this.network = name;
    this.ctx.emit({ type: "resource.started", kind: "network", role: "network", name, id: net.id });
    return name;
  }

  /**
   * PostgreSQL under the alias `db`, where the services look for it. A
   * standby (a restore target) joins the run's network without the alias
   * until pointServicesAt() gives it; every database after the first has a
   * name and a log file of its own.
   */
  async startDatabase(options: { standby?: boolean } = {}): Promise<Database> {
    const network = await this.ensureNetwork();
    const n = ++this.databases;
    const name = n === 1 ? `gameday-${this.ctx.runId}-db` : `gameday-${this.ctx.runId}-db-${n}`;
    const db = await startPostgres(this.ctx, {
      name,
      network,
      alias: DB_ALIAS,
      attach: !options.standby,
      start: (run) => this.start("database", name, run),
      logTo: logTo(this.ctx, name),
    });
    this.databaseContainers.set(db, name);
    return db;
  }

  /**
   * The services connect to `db`: the alias moves to this database's
   * container (Docker cannot add an alias to a connected container, so it is
   * disconnected and connected again; its published port changes, which
   * harnessUrl() reads anew). Any other database keeps running, off the
   * network, so the services reach only this one.
   */
  async pointServicesAt(database: Database): Promise<string> {
    const name = this.databaseContainers.get(database);
    if (!name || !this.network) throw new HarnessError("CONTAINER_FAILED", "pointServicesAt() needs a database this platform started");
    const net = docker().getNetwork(this.network);
    const gone = (e: { statusCode?: number }) => {
      if (e.statusCode !== 404 && e.statusCode !== 403) throw e;
    };
    for (const [other, otherName] of this.databaseContainers) {
      if (other !== database) await net.disconnect({ Container: otherName, Force: true }).catch(gone);
    }
    await net.disconnect({ Container: name, Force: true }).catch(gone);
    await net.connect({ Container: name, EndpointConfig: { Aliases: [DB_ALIAS] } });
    return `network alias ${DB_ALIAS} now names database container ${name}`;
  }

  /** Toxiproxy under the alias `db-proxy`, forwarding to `db` (resolved at every connection, so a fresh database under the alias is reached too). */
  async startDatabaseProxy(database: Database): Promise<Database> {
    const network = await this.ensureNetwork();
    const name = `gameday-${this.ctx.runId}-db-proxy`;
    return startDatabaseProxy(this.ctx, database, { name, network, alias: "db-proxy", start: (run) => this.start("database-proxy", name, run), logTo: logTo(this.ctx, name) });
  }

  /** Each instance of a role answers on the run's network under its role and index: known before it starts. */
  plannedAddresses(role: string, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `${role}-${i}:${APP_PORT}`);
  }

  /** A component answers on the run's network under its role. */
  plannedComponentAddress(role: string, port: number): string {
    return `${role}:${port}`;
  }

  /** Every instance of the role at once; each keeps its index (name, alias, seed) whatever order they come up in. */
  async deploy(spec: DeploySpec): Promise<Service> {
    const service = { role: spec.role, version: spec.version, instances: [] as Instance[] };
    const role: DeployedRole = { spec, service, history: [], containers: [], hostPorts: [], generation: 0 };
    this.deployed.set(spec.role, role);
    const addresses = this.plannedAddresses(spec.role, spec.replicas);
    const started = await allSettledOrThrow(addresses.map((_, i) => this.startInstance(role, spec.version, i)));
    started.forEach((container, i) => {
      role.containers.push(container);
      role.hostPorts.push(container.getMappedPort(APP_PORT));
      service.instances.push({ name: container.getName().replace(/^\//, ""), address: addresses[i]!, baseUrl: `http://${container.getHost()}:${container.getMappedPort(APP_PORT)}` });
    });
    return service;
  }

  /**
   * One instance of a role: a container named and aliased after its role and
   * index. A replacement (rollout, deleted instance) keeps the name, the alias
   * and the host port of the one it replaces, so every part of the run that
   * holds its address still reaches it; its log goes to a file of its own.
   */
  private async startInstance(role: DeployedRole, version: string, i: number, hostPort?: number): Promise<StartedTestContainer> {
    const network = await this.ensureNetwork();
    const image = await this.ctx.images.ensure(`app:${version}`);
    const { spec } = role;
    const name = `gameday-${this.ctx.runId}-${spec.role}-${i}`;
    const log = role.generation === 0 ? name : `${name}.${role.generation}`;
    const environment = {
      ...(spec.database ? { DATABASE_URL: spec.database.serviceUrl } : {}),
      SEED: String((spec.seed ?? 1000) + i),
      ...spec.env,
      ...faultEnv(spec.faults),
    };
    this.ctx.recordConfiguration?.(`${spec.role}-${i}/container`, JSON.stringify({ image: image.ref, environment }, null, 2));
    return this.start(spec.role, name, async () =>
      new GenericContainer(image.ref)
        .withName(name)
        .withEnvironment(environment)
        .withExposedPorts(hostPort === undefined ? APP_PORT : { container: APP_PORT, host: hostPort })
        .withNetworkMode(network)
        .withNetworkAliases(`${spec.role}-${i}`)
        .withLabels(runLabels(this.ctx.runId, spec.role))
        .withLogConsumer(logTo(this.ctx, log))
        .withWaitStrategy(Wait.forLogMessage(/"msg":"listening"/))
        .withStartupTimeout(30_000)
        .start(),
    );
  }

  /** Replace instances of a role with new containers of `version` (Kubernetes' Recreate strategy: each goes, then its successor starts). */
  private async replace(role: DeployedRole, version: string, indexes: readonly number[]): Promise<void> {
    role.generation++;
    for (const i of indexes) {
      const old = role.containers[i]!;
      const name = old.getName().replace(/^\//, "");
      await old.stop({ remove: true, removeVolumes: true, timeout: 0 });
      this.ctx.emit({ type: "resource.removed", kind: "container", role: role.spec.role, name });
      role.containers[i] = await this.startInstance(role, version, i, role.hostPorts[i]);
    }
  }

  /**
   * Replaced instances listen already (their start waits for it); wait until they are ready too, where readiness
   * can come: with a database and readiness not failed on purpose. Says whether it waited.
   */
  private async waitReplacedReady(role: DeployedRole, indexes: readonly number[]): Promise<boolean> {
    if (!role.spec.database || role.spec.faults.readinessFail) return false;
    await Promise.all(indexes.map((i) => waitReady(role.service.instances[i]!)));
    return true;
  }

  private role(name: string): DeployedRole {
    const role = this.deployed.get(name);
    if (!role) throw new HarnessError("SCENARIO_INVALID", `no version "${name}" is deployed`);
    return role;
  }

  /**
   * `kubectl set image` on Docker. Behind a router (`gate`), one instance at
   * a time, as a Deployment's rolling update does behind its Service: drained
   * (no new request, those in flight answered), replaced, ready, readmitted
   * at its new address. Without one, every instance is recreated at once
   * (Kubernetes' Recreate strategy).
   */
  private async rollout(roleName: string, version: string, options: RolloutOptions = {}): Promise<string> {
    const role = this.role(roleName);
    const from = role.service.version;
    role.history.push(from);
    const how = await this.replaceAll(role, version, options);
    return `${roleName}: ${how} from ${from} to ${version}`;
  }

  /** `kubectl rollout undo` on Docker: back to the version before the last rollout, then wait until every instance is ready. */
  private async rolloutUndo(roleName: string, options: RolloutOptions = {}): Promise<string> {
    const role = this.role(roleName);
    const previous = role.history.pop();
    if (previous === undefined) throw new HarnessError("ROLLOUT_FAILED", `${roleName} has no previous version to go back to: nothing was rolled out`);
    const from = role.service.version;
    const how = await this.replaceAll(role, previous, { ...options, wait: true });
    return `${roleName}: rolled back from ${from} to ${previous} (${how})`;
  }

  /** Every instance of the role at `version`, rolling behind the gate or all at once; says how. */
  private async replaceAll(role: DeployedRole, version: string, { gate, wait }: RolloutOptions): Promise<string> {
    const all = role.containers.map((_, i) => i);
    if (gate) {
      for (const i of all) {
        const server = `${role.spec.role}-${i}`;
        await gate.drain(server);
        await this.replace(role, version, [i]);
        await this.waitReplacedReady(role, [i]);
        await gate.readmit(server, `${role.containers[i]!.getIpAddress(this.network!)}:${APP_PORT}`);
      }
      role.service.version = version;
      return `${all.length} instance(s) replaced one at a time behind the router, each drained first and readmitted once ready`;
    }
    await this.replace(role, version, all);
    role.service.version = version;
    // Like `kubectl rollout status`: done when every instance is ready.
    const gated = wait ? await this.waitReplacedReady(role, all) : false;
    return `${all.length} container(s) recreated${gated ? ", every instance ready" : ""}`;
  }

  /** Delete one instance: like a ReplicaSet, the platform starts a replacement at the same version. */
  private async deleteInstance(roleName: string): Promise<string> {
    const role = this.role(roleName);
    if (role.containers.length === 0) throw new HarnessError("ROLLOUT_FAILED", `no instance of ${roleName} to delete`);
    await this.replace(role, role.service.version, [0]);
    return `${roleName}: instance 0 deleted and replaced`;
  }

  async startComponent(spec: ComponentSpec): Promise<Component> {
    for (const f of spec.files) this.ctx.recordConfiguration?.(`${spec.role}${f.path}`, f.content);
    const network = await this.ensureNetwork();
    const image = await this.ctx.images.ensure(spec.image);
    const name = `gameday-${this.ctx.runId}-${spec.role}`;
    const container = await this.start(spec.role, name, async () =>
      new GenericContainer(image.ref)
        .withName(name)
        .withCopyContentToContainer(spec.files.map((f) => ({ content: f.content, target: f.path, mode: 0o644 })))
        .withExposedPorts(...spec.ports)
        .withNetworkMode(network)
        .withNetworkAliases(spec.role)
        .withLabels(runLabels(this.ctx.runId, spec.role))
        .withLogConsumer(logTo(this.ctx, name))
        // testcontainers asks again one read timeout after each try (1 s by default): a router or Prometheus up in
        // 0.3 s was seen as up a second later, on the way to the load's start. Each try still gets 300 ms to answer.
        .withWaitStrategy(Wait.forHttp(spec.ready.path, spec.ready.port).forStatusCode(200).withReadTimeout(READY_POLL_MS))
        .withStartupTimeout(30_000)
        .start(),
    );
    return { name, endpoint: (port) => ({ host: container.getHost(), port: container.getMappedPort(port) }), address: (port) => this.plannedComponentAddress(spec.role, port) };
  }

  /** Start one container; the platform's teardown (registered with the network) removes it, naming its role. */
  private start(role: string, name: string, run: () => Promise<StartedTestContainer>): Promise<StartedTestContainer> {
    this.roles.set(name, role);
    return startContainer(this.ctx, role, name, run);
  }
}
