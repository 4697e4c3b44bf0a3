import { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { FaultSettings } from "../model/fault-knobs.js";
import type { Service } from "../platforms/platform.js";
import { defineFault, type Fault } from "./fault.js";

/** The reference service's fault knobs, as a scenario writes them (a version's `faults:` or a set-faults step's `settings:`). */
export const faultSettingsSchema = z
  .object({
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().min(0).optional(),
    latencyJitterMs: z.number().min(0).optional(),
    readinessFail: z.boolean().optional(),
    livenessFail: z.boolean().optional(),
    crashAfterSeconds: z.number().min(0).optional(),
    failHealthChecks: z.number().int().min(0).optional(),
  })
  .strict() satisfies z.ZodType<FaultSettings>;

/** Change the reference service's fault knobs at run time through its admin endpoint; undo restores what was there. */
export const setFaults = defineFault({
  type: "set-faults",
  summary: "change a version's fault knobs at run time (error rate, latency, readiness, liveness, crash, failing health checks)",
  schema: z.object({ type: z.literal("set-faults"), role: z.string().min(1), settings: faultSettingsSchema }).strict(),
  platforms: ["docker", "kind", "kubernetes"],
  needsDatabase: false,
  roles: (spec) => [spec.role],
  create: (spec, target) => {
    const service = target.services.get(spec.role);
    if (!service) throw new HarnessError("SCENARIO_INVALID", `fault set-faults names role "${spec.role}", which is not deployed`);
    return knobsFault(service, spec.settings);
  },
});

function knobsFault(service: Service, settings: FaultSettings): Fault {
  const before = new Map<string, unknown>();
  return {
    name: "set-faults",
    target: service.role,
    inject: async () => {
      for (const i of service.instances) {
        // Remember only the knobs this fault changes, so undo touches nothing else.
        const current = (await adminFaults(i.baseUrl, "GET")) as Record<string, unknown>;
        before.set(i.baseUrl, Object.fromEntries(Object.keys(settings).map((k) => [k, current[k]])));
        await adminFaults(i.baseUrl, "PUT", settings);
      }
      return JSON.stringify(settings);
    },
    undo: async () => {
      for (const [url, previous] of before) await adminFaults(url, "PUT", previous);
    },
  };
}

/** The reference service's fault API: GET the settings, or PUT a partial update (and `seed`); the answer's settings. */
export async function adminFaults(baseUrl: string, method: "GET" | "PUT", body?: unknown): Promise<unknown> {
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
