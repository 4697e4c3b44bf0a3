import { HarnessError } from "../common/errors.js";
import type { Database, Service } from "../platforms/platform.js";
import type { FaultSettings } from "../model/fault-knobs.js";

/** A fault the harness can inject and must be able to undo (and does, at the end of every run). */
export interface Fault {
  readonly name: string;
  readonly target: string;
  /** Inject; returns a one-line description for the timeline. */
  inject(): Promise<string>;
  undo(): Promise<void>;
}

/** Freeze PostgreSQL (cgroup freezer): connections hang instead of failing. */
export function databasePause(db: Database): Fault {
  return {
    name: "database-pause",
    target: "database",
    inject: async () => {
      await db.pause();
      return "container paused (frozen)";
    },
    undo: () => db.unpause(),
  };
}

/** Stop PostgreSQL: connections are refused. */
export function databaseStop(db: Database): Fault {
  return {
    name: "database-stop",
    target: "database",
    inject: async () => {
      await db.stop();
      return "container stopped";
    },
    undo: () => db.start(),
  };
}

/** Change the reference service's fault knobs at run time through its admin endpoint; undo restores what was there. */
export function setFaults(service: Service, settings: FaultSettings): Fault {
  const before = new Map<string, unknown>();
  return {
    name: "set-faults",
    target: service.role,
    inject: async () => {
      for (const i of service.instances) {
        // Remember only the knobs this fault changes, so undo touches nothing else.
        const current = (await admin(i.baseUrl, "GET")) as Record<string, unknown>;
        before.set(i.baseUrl, Object.fromEntries(Object.keys(settings).map((k) => [k, current[k]])));
        await admin(i.baseUrl, "PUT", settings);
      }
      return JSON.stringify(settings);
    },
    undo: async () => {
      for (const [url, previous] of before) await admin(url, "PUT", previous);
    },
  };
}

async function admin(baseUrl: string, method: "GET" | "PUT", body?: unknown): Promise<unknown> {
  const res = await fetch(`${baseUrl}/admin/faults`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok) throw new HarnessError("CONTAINER_FAILED", `${method} ${baseUrl}/admin/faults answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}
