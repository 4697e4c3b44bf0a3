import { z } from "zod";
import { ALWAYS, asRecord, duration, list, obj, str } from "../common/fields.js";
import { formatDuration } from "../common/duration.js";
import { addProblems, validate } from "../common/problems.js";
import { describe } from "../common/suggest.js";
import { ACTIONS, type ActionSpec } from "../actions/registry.js";
import { FAULTS, type FaultSpec } from "../faults/registry.js";
import type { PlatformName } from "../model/platform-name.js";
import { NAME, NAME_TEXT } from "./schema-versions.js";
import type { Step } from "./scenario.js";

/** What a step's fault or action is checked against: the scenario around it. */
export interface StepContext {
  readonly roles: readonly string[];
  readonly platform: PlatformName;
  readonly database: boolean;
}

/** A registry entry as the reader needs it: its schema, the roles a spec names, where it runs, what it needs. */
interface Entry {
  readonly type: string;
  readonly schema: z.ZodType<{ type: string }>;
  readonly platforms: readonly PlatformName[];
  readonly needsDatabase?: boolean;
  roles(spec: never): string[];
}

/**
 * A step's `fault:` or `action:` from its registry: a union discriminated on
 * `type` of every entry's schema (an unknown type names the known ones, with
 * a did-you-mean), then the entry's roles against the declared versions, its
 * platforms against the scenario's and, for faults, the database.
 */
function registrySpec<T extends { type: string }>(entries: readonly Entry[], c: StepContext, extra?: z.ZodRawShape) {
  // `extra`: fields the reader adds to every entry's mapping (a fault's at and for), so they count as known fields.
  const schemas = entries.map((e) => (extra ? (e.schema as unknown as z.ZodObject).extend(extra) : e.schema));
  const union = z.discriminatedUnion("type", schemas as unknown as [z.ZodObject, ...z.ZodObject[]]);
  return z.unknown().transform((v, ctx): T => {
    const r = validate(union, v);
    if (!r.ok) {
      if (!asRecord(v)) ctx.addIssue({ code: "custom", message: `must be a mapping (key: value), got ${describe(v)}` });
      else addProblems(ctx, r.problems);
      return z.NEVER;
    }
    const spec = r.data as unknown as T & { role?: unknown };
    const entry = entries.find((e) => e.type === spec.type)!;
    for (const role of entry.roles(spec as never)) {
      if (c.roles.length > 0 && !c.roles.includes(role)) {
        ctx.addIssue({ code: "custom", path: spec.role === role ? ["role"] : [], message: `must name a version declared under versions (${c.roles.join(", ")}), got "${role}"` });
      }
    }
    if (!entry.platforms.includes(c.platform)) ctx.addIssue({ code: "custom", message: platformMessage(entry.platforms, c.platform) });
    if (entry.needsDatabase && !c.database) ctx.addIssue({ code: "custom", message: "needs the database: remove database: false (this scenario has none)" });
    return spec;
  });
}

/** `needs Kubernetes: set platform: kind (this scenario's platform is docker)`, or the platforms that can. */
export function platformMessage(platforms: readonly PlatformName[], platform: PlatformName): string {
  const set = platforms.length === 1 ? `set platform: ${platforms[0]}` : `set platform: ${platforms.join(" or ")}`;
  const needs = !platforms.includes("docker") ? "needs Kubernetes" : `runs only on ${platforms.join(" or ")}`;
  return `${needs}: ${set} (this scenario's platform is ${platform})`;
}

/** A step's fault as read: the registry's mapping, and when it starts and ends (spec milliseconds). */
interface TimedFault {
  readonly spec: FaultSpec;
  readonly atMs: number | undefined;
  readonly forMs: number | undefined;
}

const TIMING = { at: duration({ min: 0 }), for: duration({ min: 1 }) } as const;

/**
 * A step's `fault:`: the registry's mapping, plus `at` (spec time after the
 * step starts; injected at once without it) and `for` (spec time after
 * injection, then undone by itself), which every fault takes. The two are
 * read here and the rest goes to the registry's schema, so a mistake in
 * either is reported with the others, at its own path.
 */
function timedFaultSpec(c: StepContext) {
  const registry = registrySpec<FaultSpec & { at?: unknown; for?: unknown }>(FAULTS, c, { at: z.unknown().optional(), for: z.unknown().optional() });
  return z.unknown().transform((v, ctx): TimedFault => {
    const m = asRecord(v);
    const r = validate(registry, v);
    if (!r.ok) addProblems(ctx, r.problems);
    const timing: { at?: number; for?: number } = {};
    for (const key of ["at", "for"] as const) {
      if (m?.[key] === undefined) continue;
      const t = validate(TIMING[key], m[key], [key]);
      if (t.ok) timing[key] = t.data;
      else addProblems(ctx, t.problems);
    }
    if (!r.ok) return z.NEVER;
    const { at: _at, for: _for, ...spec } = r.data;
    return { spec: spec as FaultSpec, atMs: timing.at, forMs: timing.for };
  });
}

export function stepsSchema(c: StepContext & { readonly optional: boolean }) {
  const step = obj({
    name: str({ re: NAME, text: NAME_TEXT }),
    fault: timedFaultSpec(c).optional(),
    undo: str().optional(),
    action: registrySpec<ActionSpec>(ACTIONS, c).optional(),
    observe: duration({ min: 1 }),
  })
    .superRefine((s, ctx) => {
      const given = ["fault", "undo", "action"].filter((k) => asRecord(s)?.[k] !== undefined);
      if (given.length > 1) ctx.addIssue({ code: "custom", message: "has more than one of fault, undo and action: use one step for each" });
    }, ALWAYS)
    .transform((s): Step => ({
      name: s.name,
      observeMs: s.observe,
      ...(s.fault ? { fault: s.fault.spec } : {}),
      ...(s.fault?.atMs !== undefined ? { faultAtMs: s.fault.atMs } : {}),
      ...(s.fault?.forMs !== undefined ? { faultForMs: s.fault.forMs } : {}),
      ...(s.undo !== undefined ? { undo: s.undo } : {}),
      ...(s.action ? { action: s.action } : {}),
    }))
    .superRefine((s, ctx) => {
      // The step observes while its fault starts: one that would start after the step is over is a mistake, not a fault for the next step.
      if (s.faultAtMs !== undefined && s.faultAtMs >= s.observeMs) {
        ctx.addIssue({
          code: "custom",
          path: ["fault", "at"],
          message: `must be within the step's observe time (${formatDuration(s.observeMs)}), got ${formatDuration(s.faultAtMs)}: the step would end before the fault starts`,
        });
      }
    });
  return list(step, { nonEmpty: !c.optional }).superRefine(checkStepNames, ALWAYS);
}

/** Names are unique; `undo` names an earlier step with a fault. Read from the steps as written, so a step with other problems still counts. */
function checkStepNames(steps: unknown, ctx: z.RefinementCtx): void {
  if (!Array.isArray(steps)) return;
  const seen = new Map<string, Record<string, unknown>>();
  steps.forEach((raw: unknown, i) => {
    const s = asRecord(raw);
    if (!s) return;
    const name = s.name;
    if (typeof name === "string" && seen.has(name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `repeats the step name "${name}": names must be unique` });
    if (typeof s.undo === "string") {
      const target = seen.get(s.undo);
      if (!target) ctx.addIssue({ code: "custom", path: [i, "undo"], message: `must name an earlier step with a fault, got "${s.undo}"` });
      else if (target.fault === undefined) ctx.addIssue({ code: "custom", path: [i, "undo"], message: `names step "${s.undo}", which has no fault to undo` });
    }
    if (typeof name === "string" && !seen.has(name)) seen.set(name, s);
  });
}
