import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { RUN_ENV } from "../cleanup/processes.js";
import { systemClock, waitFor, type Clock } from "../common/clock.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import { TOOLS_BIN } from "../common/paths.js";
import { ensureTool } from "../common/tools.js";
import { alertmanagerConfig, type NotificationTargets, type RollbackAlert } from "./alertmanager-config.js";

/** A notification as a receiver got it. */
export interface Received {
  channel: "slack" | "email";
  /** Epoch ms the receiver had it (Mailpit's own receipt time for e-mail). */
  atMs: number;
  /** Where it went: the Slack channel, or the e-mail's recipients. */
  to: string;
  /** What people read: the Slack message's title and text, or the e-mail's subject and text. */
  text: string;
}

/**
 * The notification path of rollback-config.yml, on this machine: a real
 * Alertmanager that routes a rollback's alert to a Slack-compatible incoming
 * webhook the harness runs (which records each payload) and, over SMTP, to a
 * real Mailpit (whose API lists the mail). Every address is 127.0.0.1;
 * nothing leaves the machine. The processes carry the run's id, so the
 * teardown and the reaper find them.
 */
export class Notifier {
  private readonly received: Received[] = [];
  private readonly processes: ChildProcess[] = [];
  private webhook?: Server;
  private dir?: string;
  private alertmanagerUrl = "";
  private mailpitUrl = "";
  private seenMail = new Set<string>();

  constructor(
    private readonly o: { runId: string; logDir: string; targets: NotificationTargets; onReceived?: (r: Received) => void; clock?: Clock; signal?: AbortSignal },
  ) {}

  /** Starts the webhook, Mailpit and Alertmanager, and waits until each answers. */
  async start(): Promise<void> {
    const tool = { hint: "bash scripts/tools.sh alertmanager mailpit (built from their Go modules; needs Go)", ...(this.o.signal ? { signal: this.o.signal } : {}) };
    await Promise.all([ensureTool("alertmanager", tool), ensureTool("mailpit", tool)]);
    this.dir = mkdtempSync(join(tmpdir(), `gameday-notify-${this.o.runId}-`));
    const [hookPort, smtpPort, mailPort, amPort] = await freePorts(4);
    this.webhook = await this.startWebhook(hookPort!);
    this.mailpitUrl = `http://127.0.0.1:${mailPort}`;
    this.spawn("mailpit", ["--smtp", `127.0.0.1:${smtpPort}`, "--listen", `127.0.0.1:${mailPort}`, "--database", join(this.dir, "mailpit.db"), "--disable-version-check"]);
    // The configuration it runs with, and a copy in the run's logs as evidence.
    const config = join(this.dir, "alertmanager.yml");
    const text = alertmanagerConfig(this.o.targets, { slackWebhookUrl: `http://127.0.0.1:${hookPort}/services/gameday`, smtp: `127.0.0.1:${smtpPort}` });
    writeFileSync(config, text);
    writeFileSync(join(this.o.logDir, "alertmanager.yml"), text);
    this.alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    this.spawn("alertmanager", [`--config.file=${config}`, `--storage.path=${join(this.dir, "alertmanager")}`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="]);
    const ready = (url: string) => async () => ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok ? true : undefined);
    const wait = { timeoutMs: 30_000, intervalMs: 50, ...(this.o.clock ? { clock: this.o.clock } : {}), ...(this.o.signal ? { signal: this.o.signal } : {}) };
    await Promise.all([
      waitFor(ready(`${this.mailpitUrl}/api/v1/info`), { ...wait, description: "Mailpit to answer on 127.0.0.1" }),
      waitFor(ready(`${this.alertmanagerUrl}/-/ready`), { ...wait, description: "Alertmanager to be ready on 127.0.0.1" }),
    ]);
  }

  /** Raises the alert in Alertmanager; it routes it to both receivers. */
  async alert(alert: RollbackAlert): Promise<void> {
    const res = await fetch(`${this.alertmanagerUrl}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([alert]), signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new HarnessError("COMMAND_FAILED", `Alertmanager refused the alert: ${res.status} ${await res.text()}`);
  }

  /**
   * What the receivers have got so far. E-mail is read from Mailpit's API;
   * with `waitMs`, waits up to that long until each `wanted` channel has something.
   */
  async collect(waitMs = 0, wanted: ReadonlyArray<Received["channel"]> = ["slack", "email"]): Promise<Received[]> {
    const clock = this.o.clock ?? systemClock;
    const deadline = clock.now() + waitMs;
    for (;;) {
      await this.readMail();
      const channels = new Set(this.received.map((r) => r.channel));
      if (wanted.every((c) => channels.has(c)) || clock.now() >= deadline) return [...this.received];
      await clock.sleep(100, this.o.signal);
    }
  }

  async stop(): Promise<void> {
    for (const p of this.processes) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
    await Promise.all(this.processes.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once("exit", r)))));
    await new Promise<void>((r) => (this.webhook ? this.webhook.close(() => r()) : r()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(tool: string, args: string[]): void {
    const log = createWriteStream(join(this.o.logDir, `${tool}.log`));
    const child = spawn(tool, args, { env: { ...process.env, PATH: `${TOOLS_BIN}${delimiter}${process.env.PATH ?? ""}`, [RUN_ENV]: this.o.runId }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.push(child);
  }

  private startWebhook(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const atMs = Date.now();
        try {
          const p = JSON.parse(body) as { channel?: string; attachments?: Array<{ title?: string; text?: string }>; text?: string };
          const text = [p.text, ...(p.attachments ?? []).flatMap((a) => [a.title, a.text])].filter(Boolean).join(" — ");
          this.note({ channel: "slack", atMs, to: p.channel ?? "", text });
          res.writeHead(200, { "content-type": "text/plain" }).end("ok");
        } catch (e) {
          res.writeHead(400, { "content-type": "text/plain" }).end(`not a Slack message: ${errorMessage(e)}`);
        }
      });
    });
    return new Promise((ok, fail) => {
      server.once("error", fail);
      server.listen(port, "127.0.0.1", () => ok(server));
    });
  }

  private async readMail(): Promise<void> {
    const res = await fetch(`${this.mailpitUrl}/api/v1/messages`, { signal: AbortSignal.timeout(2000) });
    const list = (await res.json()) as { messages?: Array<{ ID: string; Created: string; Subject: string; To?: Array<{ Address: string }> }> };
    for (const m of list.messages ?? []) {
      if (this.seenMail.has(m.ID)) continue;
      this.seenMail.add(m.ID);
      const full = (await (await fetch(`${this.mailpitUrl}/api/v1/message/${m.ID}`, { signal: AbortSignal.timeout(2000) })).json()) as { Text?: string };
      this.note({ channel: "email", atMs: Date.parse(m.Created), to: (m.To ?? []).map((t) => t.Address).join(", "), text: `${m.Subject} — ${(full.Text ?? "").trim()}` });
    }
  }

  private note(r: Received): void {
    this.received.push(r);
    this.o.onReceived?.(r);
  }
}

/** Ports free on 127.0.0.1 now (the kernel's choice; taken again at once by the caller). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createNetServer>>((ok, fail) => {
      const s = createNetServer();
      s.once("error", fail);
      s.listen(0, "127.0.0.1", () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
