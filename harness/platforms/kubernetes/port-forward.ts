import { createServer, type Server, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import type { AddressInfo } from "node:net";
import { PortForward, type KubeConfig } from "@kubernetes/client-node";

/**
 * A port of a pod on 127.0.0.1, through the API server (what `kubectl
 * port-forward` does, inside the harness): for a cluster the harness did not
 * create, whose NodePorts it cannot reach. Every connection made to the local
 * port opens its own stream to the pod's port; the pod is looked up once, and
 * again after a connection failed, so one that replaced it is found.
 */
export class PortForwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  private pod: Promise<string> | undefined;

  private constructor(
    private readonly forward: PortForward,
    private readonly namespace: string,
    private readonly lookup: () => Promise<string>,
    private readonly targetPort: number,
  ) {}

  /** Listen on a free local port for `targetPort` of the pod `pod()` names at each connection. */
  static async start(kc: KubeConfig, o: { namespace: string; pod: () => Promise<string>; port: number }): Promise<PortForwarder> {
    const f = new PortForwarder(new PortForward(kc, true), o.namespace, o.pod, o.port);
    await f.listen();
    return f;
  }

  /** Where the harness connects. */
  get endpoint(): { host: string; port: number } {
    return { host: "127.0.0.1", port: this.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    // Half-open: a client that has said all it will (end) still reads the answer.
    const server = createServer({ allowHalfOpen: true }, (socket) => void this.connect(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async connect(socket: Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // The client's bytes go through a stream that never ends on its own: a client that half-closes after its
    // request (HAProxy's runtime API: one command, then end) must still get the answer, and the client library
    // closes the whole stream when its input ends. The stream closes when the pod's side does, or the socket.
    const input = new PassThrough();
    socket.on("data", (chunk) => input.write(chunk));
    socket.pause();
    try {
      const ws = await this.forward.portForward(this.namespace, await this.podName(), [this.targetPort], socket, null, input);
      if (typeof ws === "function") return;
      ws.on("close", () => socket.end());
      ws.on("error", () => socket.destroy());
      socket.on("close", () => {
        input.destroy();
        ws.close();
      });
      socket.resume();
    } catch {
      // No pod, or the API server refused: the client sees its connection closed, as with nothing listening; the next one looks the pod up again.
      this.pod = undefined;
      socket.destroy();
    }
  }

  /** The pod to forward to, looked up once and again after a connection to it failed (not per connection: the API server would throttle that). */
  private podName(): Promise<string> {
    this.pod ??= this.lookup().catch((e: unknown) => {
      this.pod = undefined;
      throw e;
    });
    return this.pod;
  }
}
