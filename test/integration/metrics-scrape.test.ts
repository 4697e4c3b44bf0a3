import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GenericContainer, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditTrail } from "../../harness/audit/audit-trail.js";
import { waitFor } from "../../harness/common/clock.js";
import { newRunId, runLabels } from "../../harness/common/labels.js";
import { ROOT } from "../../harness/common/paths.js";
import { ImageBuilder } from "../../harness/images/builder.js";
import { holdMachineShare } from "../support/machine-share.js";

holdMachineShare("metrics-scrape", 0.3); // Prometheus and the metrics server

// npm run metrics serves the document's deployment metrics from the audit trail; a real Prometheus (the
// harness's image, on the host's network) scrapes them, and its query API reads them back.
const dir = mkdtempSync(join(tmpdir(), "gameday-metrics-"));
const file = join(dir, "trail.jsonl");
const runId = newRunId("test-metrics-scrape");
let server: ChildProcess;
let prometheus: StartedTestContainer;
let promPort = 0;

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });

beforeAll(async () => {
  const trail = new AuditTrail({ file });
  await trail.appendMany([
    { type: "rollback", body: { environment: "production", reason: "error_rate" } },
    { type: "deployment", body: { environment: "production", version: "erroring-1", outcome: "rolled-back", specSeconds: 700 } },
    { type: "deployment", body: { environment: "production", version: "good-2", outcome: "promoted", specSeconds: 1600 } },
  ]);
  const metricsPort = await freePort();
  promPort = await freePort();
  server = spawn(process.execPath, ["--import", "tsx", join(ROOT, "harness/cli/main.ts"), "metrics", "--port", String(metricsPort), "--file", file], { cwd: ROOT, stdio: "ignore" });
  const image = await new ImageBuilder({}).ensure("prometheus");
  const config = `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: deployments\n    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]\n`;
  prometheus = await new GenericContainer(image.ref)
    .withNetworkMode("host")
    .withLabels(runLabels(runId, "prometheus"))
    .withCopyContentToContainer([{ content: config, target: "/etc/prometheus/prometheus.yml", mode: 0o644 }])
    .withCommand(["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", `--web.listen-address=127.0.0.1:${promPort}`])
    .start();
}, 120_000);

afterAll(async () => {
  server?.kill("SIGINT");
  await prometheus?.stop();
});

describe("npm run metrics, scraped by Prometheus", () => {
  it("gives Prometheus the document's three metrics from the audit trail, with their labels", async () => {
    const query = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.data.result;
    };
    const rollbacks = await waitFor(async () => {
      const r = await query("rollback_count");
      return r.length > 0 ? r : undefined;
    }, { description: "Prometheus to have scraped rollback_count", timeoutMs: 60_000, intervalMs: 500 });
    expect(rollbacks).toEqual([expect.objectContaining({ metric: expect.objectContaining({ environment: "production", reason: "error_rate", job: "deployments" }), value: [expect.any(Number), "1"] })]);
    expect((await query("deployment_success_rate"))[0]!.value[1]).toBe("50");
    expect((await query('deployment_duration_bucket{version="good-2",le="1800"}'))[0]!.value[1]).toBe("1");
    expect((await query('deployment_duration_bucket{version="good-2",le="900"}'))[0]!.value[1]).toBe("0");
  }, 90_000);
});
