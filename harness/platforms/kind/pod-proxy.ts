import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent, request, type RequestOptions } from "node:https";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * Pods' own ports from the harness, through the API server's pod proxy:
 * http://127.0.0.1:<port>/pods/<namespace>/<pod>/<pod port>/<path> goes to
 * /api/v1/namespaces/<namespace>/pods/<pod>:<pod port>/proxy/<path>, with the
 * cluster's credentials (what `kubectl proxy` does, inside the harness).
 * Probes, fault knobs and /metrics reach each pod this way. A Service the
 * same way (/services/...): load aimed at a role goes through its Service and
 * so follows the role's pods when a rollout replaces them; load with a
 * strategy goes through the router's NodePort.
 *
 * When the API server itself answers (the pod is gone or refuses), the
 * connection is dropped rather than passed on: a 503 of the API server's is
 * not the pod's 503, and a probe must see "no answer".
 */
export class PodProxy {
  private server: Server | undefined;
  private port = 0;

  private constructor(
    private readonly apiServer: URL,
    private readonly agent: Agent,
    /** What the kubeconfig's user sends with each request beside its certificates: a bearer token (a ServiceAccount's). */
    private readonly auth: Record<string, string>,
  ) {}

  static async start(kc: KubeConfig): Promise<PodProxy> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const tls: RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true });
    const auth = Object.fromEntries(Object.entries((tls.headers ?? {}) as Record<string, unknown>).filter(([k, v]) => k.toLowerCase() === "authorization" && typeof v === "string")) as Record<string, string>;
    const proxy = new PodProxy(new URL(cluster.server), agent, auth);
    await proxy.listen();
    return proxy;
  }

  /** Base URL of a pod's port, e.g. for `${url}/health`. */
  urlFor(namespace: string, pod: string, port: number): string {
    return `http://127.0.0.1:${this.port}/pods/${namespace}/${pod}/${port}`;
  }

  /** Base URL of a Service's port: the API server's service proxy picks one of its ready endpoints, so it follows a rollout. */
  serviceUrlFor(namespace: string, service: string, port: number): string {
    return `http://127.0.0.1:${this.port}/services/${namespace}/${service}/${port}`;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => this.forward(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const m = /^\/(pods|services)\/([a-z0-9-]+)\/([a-z0-9.-]+)\/(\d+)(\/.*)?$/.exec(req.url ?? "");
    if (!m) {
      res.writeHead(404).end("expected /pods/<namespace>/<pod>/<port>/<path> or /services/<namespace>/<service>/<port>/<path>");
      return;
    }
    const [, resource, namespace, name, port, rest = "/"] = m;
    const headers = { ...req.headers, ...this.auth };
    delete headers.host;
    delete headers.connection;
    const upstream = request(
      {
        protocol: "https:",
        hostname: this.apiServer.hostname,
        port: this.apiServer.port || 443,
        method: req.method,
        path: `/api/v1/namespaces/${namespace}/${resource}/${name}:${port}/proxy${rest}`,
        headers,
        agent: this.agent,
      },
      (up) => {
        // The reference service stamps every answer with X-App-Version; an answer without it came from the API server.
        if ((up.statusCode ?? 500) >= 500 && up.headers["x-app-version"] === undefined) {
          up.resume();
          res.destroy();
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }
}
