import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { runLabels } from "../../common/labels.js";
import { sweep } from "../../cleanup/sweep.js";
import { configureTestcontainers, docker } from "../../engine/docker.js";
import { faultEnv } from "../../model/fault-knobs.js";
import { logTo, startContainer } from "../containers.js";
import { startPostgres } from "../postgres.js";
import type { Component, ComponentSpec, Database, DeploySpec, Instance, Operations, Platform, PlatformContext, Service } from "../platform.js";

const DB_ALIAS = "db";
const APP_PORT = 8000;

/** Each version is a set of containers on a network of the run's own. */
export class DockerPlatform implements Platform {
  readonly name = "docker" as const;
  /** Operator actions on Docker: none yet (rollouts and pod deletion are Kubernetes' own). */
  readonly operations: Operations = {};
  private network: string | undefined;
  private readonly roles = new Map<string, string>();

  constructor(private readonly ctx: PlatformContext) {
    configureTestcontainers();
  }

  private async ensureNetwork(): Promise<string> {
    if (this.network) return this.network;
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

  async startDatabase(): Promise<Database> {
    const network = await this.ensureNetwork();
    const name = `gameday-${this.ctx.runId}-db`;
    return startPostgres(this.ctx, { name, network, alias: DB_ALIAS, start: (run) => this.start("database", name, run), logTo: logTo(this.ctx, name) });
  }

  async deploy(spec: DeploySpec): Promise<Service> {
    const network = await this.ensureNetwork();
    const image = await this.ctx.images.ensure(`app:${spec.version}`);
    const instances: Instance[] = [];
    for (let i = 0; i < spec.replicas; i++) {
      const name = `gameday-${this.ctx.runId}-${spec.role}-${i}`;
      const container = await this.start(spec.role, name, async () =>
        new GenericContainer(image.ref)
          .withName(name)
          .withEnvironment({
            ...(spec.database ? { DATABASE_URL: spec.database.serviceUrl } : {}),
            SEED: String(1000 + i),
            ...faultEnv(spec.faults),
          })
          .withExposedPorts(APP_PORT)
          .withNetworkMode(network)
          .withNetworkAliases(`${spec.role}-${i}`)
          .withLabels(runLabels(this.ctx.runId, spec.role))
          .withLogConsumer(logTo(this.ctx, name))
          .withWaitStrategy(Wait.forLogMessage(/"msg":"listening"/))
          .withStartupTimeout(30_000)
          .start(),
      );
      instances.push({ name, address: `${spec.role}-${i}:${APP_PORT}`, baseUrl: `http://${container.getHost()}:${container.getMappedPort(APP_PORT)}` });
    }
    return { role: spec.role, version: spec.version, instances };
  }

  async startComponent(spec: ComponentSpec): Promise<Component> {
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
        .withWaitStrategy(Wait.forHttp(spec.ready.path, spec.ready.port).forStatusCode(200))
        .withStartupTimeout(30_000)
        .start(),
    );
    return { name, endpoint: (port) => ({ host: container.getHost(), port: container.getMappedPort(port) }), address: (port) => `${spec.role}:${port}` };
  }

  /** Start one container; the platform's teardown (registered with the network) removes it, naming its role. */
  private start(role: string, name: string, run: () => Promise<StartedTestContainer>): Promise<StartedTestContainer> {
    this.roles.set(name, role);
    return startContainer(this.ctx, role, name, run);
  }
}
