import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HarnessError, errorMessage } from "../common/errors.js";
import { Charts, roleColors } from "../report/charts.js";
import { markersOf, trafficCharts } from "../report/timeline-charts.js";
import type { OperatorDesk } from "../runner/operator-desk.js";
import type { Stamped } from "../timeline/events.js";
import { formatEvent } from "../timeline/progress.js";
import { parse } from "yaml";
import { livePage } from "./page.js";

/** At most this often the page's plots are sent again while events arrive. */
const CHARTS_EVERY_MS = 500;

export interface LiveServer {
  /** The page's address, with the run's token. */
  readonly url: string;
  /** Every event of the run, as it happens. */
  publish(e: Stamped): void;
  /** The run is over: the page says how it ended and where its report is. */
  finish(outcome: { verdict: string; exitCode: number; report: string }): void;
  close(): Promise<void>;
}

export interface LiveOptions {
  scenario: string;
  platform: string;
  timeScale: number;
  desk: OperatorDesk;
  /** Abort the run (the page's Abort): it ends as interrupted, exit 130, everything removed. */
  abort: () => void;
  /** Roles to the versions they run: one color per role and its version, as in the report. */
  versions: Record<string, string>;
  /** 0 (the default) takes a free port. */
  port?: number;
  token?: string;
}

/**
 * The game day's page on 127.0.0.1 (a random port, a per-run token on every
 * request): the run's timeline as it happens (server-sent events: every
 * event, and the report's plots again at most every 500 ms), and the
 * operator's desk (inject or undo a fault, mark an observation, abort).
 */
export async function startLiveServer(o: LiveOptions): Promise<LiveServer> {
  const token = o.token ?? randomBytes(16).toString("hex");
  const events: Stamped[] = [];
  const clients = new Set<ServerResponse>();
  let finished: { verdict: string; exitCode: number; report: string } | undefined;
  let chartsTimer: NodeJS.Timeout | undefined;
  let chartsSent = 0;
  const colorOf = roleColors(o.versions);

  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const broadcast = (event: string, data: unknown) => {
    for (const c of clients) send(c, event, data);
  };
  const chartsData = () => {
    const charts = new Charts({ markers: markersOf(events), tEnd: events.at(-1)?.t ?? 0, timeScale: o.timeScale });
    for (const c of trafficCharts(events, colorOf)) charts.add(c);
    return charts.data();
  };
  const sendCharts = () => {
    chartsTimer = undefined;
    chartsSent = Date.now();
    broadcast("charts", chartsData());
  };
  const deskState = () => ({ state: o.desk.state, injected: o.desk.injected() });

  const authorized = (req: IncomingMessage, url: URL) => {
    const given = Buffer.from(String(req.headers["x-gameday-token"] ?? url.searchParams.get("token") ?? ""));
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (!authorized(req, url)) {
      res.writeHead(403, { "content-type": "text/plain" }).end("this page needs the run's token: open the address the harness printed\n");
      return;
    }
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(livePage({ scenario: o.scenario, platform: o.platform, timeScale: o.timeScale, faults: o.desk.faultTypes() }));
      return;
    }
    if (req.method === "GET" && url.pathname === "/events") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      // What happened before the page connected, then everything as it comes.
      for (const e of events) send(res, "timeline", { event: e, line: formatEvent(e) ?? null });
      send(res, "charts", chartsData());
      send(res, "desk", deskState());
      if (finished) send(res, "finished", finished);
      clients.add(res);
      req.on("close", () => clients.delete(res));
      return;
    }
    if (req.method === "POST" && url.pathname.startsWith("/api/")) {
      void body(req).then(
        async (input) => {
          const action = url.pathname.slice("/api/".length);
          if (action === "fault") reply(res, 202, await o.desk.inject(faultOf(input)));
          else if (action === "undo") reply(res, 202, (await o.desk.undo(String(input.id)), { id: input.id }));
          else if (action === "mark") reply(res, 202, (o.desk.mark(String(input.text ?? "")), {}));
          else if (action === "abort") {
            o.desk.aborting();
            o.abort();
            reply(res, 202, {});
          } else reply(res, 404, { error: `no action ${action}` });
          broadcast("desk", deskState());
        },
        (e: unknown) => reply(res, 400, { error: errorMessage(e) }),
      ).catch((e: unknown) => reply(res, e instanceof HarnessError ? 400 : 500, { error: errorMessage(e), ...(e instanceof HarnessError && e.hint ? { hint: e.hint } : {}) }));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    publish(e) {
      events.push(e);
      broadcast("timeline", { event: e, line: formatEvent(e) ?? null });
      if (!chartsTimer) chartsTimer = setTimeout(sendCharts, Math.max(0, CHARTS_EVERY_MS - (Date.now() - chartsSent)));
    },
    finish(outcome) {
      finished = outcome;
      if (chartsTimer) clearTimeout(chartsTimer);
      sendCharts();
      broadcast("desk", deskState());
      broadcast("finished", outcome);
    },
    async close() {
      if (chartsTimer) clearTimeout(chartsTimer);
      for (const c of clients) c.end();
      clients.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The fault the page asks for: a type and the rest of a scenario step's
 * `fault:` mapping as YAML ("role: stable", "{ role: stable, settings: { errorRate: 0.5 } }"
 * or the same without its braces); or the whole mapping as JSON (`fault`).
 */
export function faultOf(input: Record<string, unknown>): unknown {
  if (input.fault !== undefined) return input.fault;
  const text = String(input.params ?? "").trim();
  let params: unknown = {};
  if (text !== "") {
    const attempts = text.startsWith("{") ? [text] : [text, `{${text}}`];
    const parsed = attempts.map((t) => {
      try {
        return parse(t) as unknown;
      } catch {
        return undefined;
      }
    });
    params = parsed.find((p) => typeof p === "object" && p !== null && !Array.isArray(p));
    if (params === undefined) throw new HarnessError("USAGE", `the fault's settings must be a YAML mapping like "role: stable", got ${JSON.stringify(text)}`);
  }
  return { ...(params as object), type: input.type };
}

function reply(res: ServerResponse, status: number, data: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(data));
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 64_000) throw new HarnessError("USAGE", "the request is too large");
  }
  if (text.trim() === "") return {};
  const value = JSON.parse(text) as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new HarnessError("USAGE", "the request must be a JSON object");
  return value as Record<string, unknown>;
}
