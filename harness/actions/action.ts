import type { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { PlatformName } from "../model/platform-name.js";
import type { OperationName, Operations, Platform } from "../platforms/platform.js";

/**
 * One kind of operator action, as scenario steps name it (`action: { type: rollout, role: stable, tag: good-2 }`):
 * its schema (the whole `action:` mapping, `type` included), the platform
 * operation it performs and the platforms that implement it. The scenario
 * reader, the runner and `--validate` all read the registry
 * (harness/actions/registry.ts); a test checks that every platform named
 * here really implements the operation.
 */
export interface ActionType<S extends z.ZodType<{ type: string }> = z.ZodType<{ type: string }>, K extends OperationName = OperationName> {
  readonly type: string;
  /** One line for people: what an operator does. */
  readonly summary: string;
  readonly schema: S;
  readonly operation: K;
  readonly platforms: readonly PlatformName[];
  /** The roles the action names, checked against the scenario's versions. */
  roles(spec: z.infer<S>): string[];
  /** Catalog images the action will need, made available before the run starts. */
  images(spec: z.infer<S>): string[];
  /** Calls the platform's operation with the spec's values; returns a one-line description for the timeline (action.performed). */
  call(spec: z.infer<S>, operation: NonNullable<Operations[K]>): Promise<string>;
}

export function defineAction<S extends z.ZodType<{ type: string }>, K extends OperationName>(type: ActionType<S, K>): ActionType<S, K> {
  return type;
}

/** Perform an action on a platform: its operation, or a clear error naming the platforms that have it. */
export async function performAction(action: ActionType, spec: { type: string }, platform: Platform): Promise<string> {
  const operation = platform.operations[action.operation];
  if (!operation) {
    throw new HarnessError("USAGE", `the ${action.type} action is not implemented on the ${platform.name} platform`, {
      hint: `run the scenario with ${action.platforms.map((p) => `--platform ${p}`).join(" or ")}`,
    });
  }
  return action.call(spec as never, operation.bind(platform.operations) as never);
}
