import { createServer } from "node:http";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { AuditTrail } from "../audit/audit-trail.js";
import { deploymentMetricsText } from "../audit/deployment-metrics.js";
import { ExitCode, HarnessError } from "../common/errors.js";
import { userDirectory } from "../common/paths.js";

/**
 * `npm run metrics [-- --port N]`: the document's deployment metrics, from
 * the audit trail as it is at each scrape, on 127.0.0.1 for a Prometheus to
 * scrape (/metrics), until Ctrl-C. `--once` prints them instead.
 */
export async function metricsCommand(args: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: "string" }, file: { type: "string" }, once: { type: "boolean" } } });
  const trail = new AuditTrail(values.file ? { file: resolve(userDirectory(), values.file) } : {});
  if (values.once) {
    process.stdout.write(deploymentMetricsText(trail.read()));
    return ExitCode.held;
  }
  const port = values.port === undefined ? 9479 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new HarnessError("USAGE", `--port must be a port number, got "${values.port}"`);
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: the metrics are at /metrics\n");
      return;
    }
    try {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(deploymentMetricsText(trail.read()));
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(e as Error).message}\n`);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      fail(e.code === "EADDRINUSE" ? new HarnessError("USAGE", `port ${port} on 127.0.0.1 is taken`, { hint: "npm run metrics -- --port <another>" }) : e),
    );
    server.listen(port, "127.0.0.1", ok);
  });
  const address = server.address();
  console.log(`serving the deployment metrics of ${trail.file} at http://127.0.0.1:${typeof address === "object" && address ? address.port : port}/metrics (Ctrl-C stops)`);
  await new Promise<void>((done) => signal.addEventListener("abort", () => done(), { once: true }));
  await new Promise<void>((done) => server.close(() => done()));
  return ExitCode.held;
}
