// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { LABEL } from "../../harness/common/labels.js";
import { docker } from "../../harness/engine/docker.js";
import { faultType } from "../../harness/faults/registry.js";
import type { KindCluster } from "../../harness/platforms/kind/cluster.js";
import { KindPlatform } from "../../harness/platforms/kind/kind-platform.js";
import { KindSession } from "../../harness/platforms/kind/session.js";
import type { Database, Service } from "../../harness/platforms/platform.js";
import { httpGet } from "../../harness/probes/http-probe.js";
import { testContext } from "../support/context.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("database-network-kind", 0.9); // a kind cluster of its own

// The database proxy on kind: Toxiproxy as a container on the cluster's Docker network, like PostgreSQL; the pods
// connect to it through database-secret. A full cut shows on the pod's /ready (through the API server's pod proxy).
const ctx = testContext("db-network-kind");
const session = new KindSession({ keep: false });
let cluster: KindCluster;
let platform: KindPlatform;
let direct: Database;
let db: Database;
let stable: Service;

const ready = async () => {
  const r = await httpGet(`${stable.instances[0]!.baseUrl}/ready`, { timeoutMs: 5000 });
  return { status: r.status, body: r.body as { failing?: string[]; checks: Record<string, string> } | undefined };
};

beforeAll(async () => {
  cluster = await session.get(ctx.emit, ctx.signal);
  platform = new KindPlatform(ctx, { cluster, kind: cluster, scale: 1 });
  await platform.preload(["app:good-1"]);
  direct = await platform.startDatabase();
  db = await platform.startDatabaseProxy(direct);
  stable = await platform.deploy({ role: "stable", version: "good-1", replicas: 1, faults: {}, database: db });
  await waitFor(async () => ((await ready()).status === 200 ? true : undefined), { description: "the pod ready through the proxy", timeoutMs: 120_000, intervalMs: 500 });
}, 600_000);

afterAll(async () => {
  try {
    await ctx.dispose();
    expect(await docker().listContainers({ all: true, filters: { label: [`${LABEL.runId}=${ctx.runId}`] } })).toEqual([]);
  } finally {
    await session.close();
  }
}, 300_000);

describe("the database proxy and a full cut on kind", () => {
  it("sits on the cluster's network; database-secret points the pods at it, not at PostgreSQL", async () => {
    const info = await docker().getContainer(db.proxy!.name).inspect();
    const proxyIp = info.NetworkSettings.Networks[cluster.network]!.IPAddress;
    expect(new URL(db.serviceUrl).host).toBe(`${proxyIp}:5432`);
    expect(new URL(direct.serviceUrl).host).not.toBe(`${proxyIp}:5432`);
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: "database-secret", namespace: platform.namespace });
    expect(Buffer.from(secret.data!.url!, "base64").toString()).toBe(db.serviceUrl);
  });

  it("cut: /ready turns 503 naming the database (connection refused) at once; undone, 200 again", async () => {
    const cut = faultType("database-cut")!.create({ type: "database-cut" } as never, { platform, database: db, services: new Map([["stable", stable]]) });
    await cut.inject();
    const during = await ready();
    expect(during.status).toBe(503);
    expect(during.body!.failing).toEqual(["database"]);
    expect(during.body!.checks.database).toMatch(/ECONNREFUSED/);
    await cut.undo();
    await waitFor(async () => ((await ready()).status === 200 ? true : undefined), { description: "/ready 200 after the cut", timeoutMs: 15_000, intervalMs: 250 });
  }, 60_000);
});
