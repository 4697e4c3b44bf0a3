import type { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { PlatformName } from "../model/platform-name.js";
import type { OperationName, Platform } from "../platforms/platform.js";

/**
 * One kind of operator action, as scenario steps name it (`action: { type: rollout, role: stable, tag: good-2 }`):
 * its schema (the whole `action:` mapping, `type` included), the platform
 * operation it performs and the platforms that implement it. The scenario
 * reader, the runner and `--validate` all read the registry
 * (harness/actions/registry.ts); a test checks that every platform named
 * here really implements the operation.
 */
export interface ActionType<S extends z.ZodType<{ type: string }> = z.ZodType<{ type: string }>> {
  readonly type: string;
  /** One line for people: what an operator does. */
  readonly summary: string;
  readonly schema: S;
  readonly operation: OperationName;
  readonly platforms: readonly PlatformName[];
  /** The roles the action names, checked against the scenario's versions. */
  roles(spec: z.infer<S>): string[];
  /** Catalog images the action will need, made available before the run starts. */
  images(spec: z.infer<S>): string[];
  /** Performs it; returns a one-line description for the timeline (action.performed). */
  perform(spec: z.infer<S>, platform: Platform): Promise<string>;
}

export function defineAction<S extends z.ZodType<{ type: string }>>(type: ActionType<S>): ActionType<S> {
  return type;
}

/** The platform's implementation of an operation, or a clear error when it has none. */
export function operationOf<K extends OperationName>(platform: Platform, operation: K, action: string): NonNullable<Platform["operations"][K]> {
  const op = platform.operations[operation];
  if (!op) {
    throw new HarnessError("USAGE", `the ${action} action is not implemented on the ${platform.name} platform`, { hint: "run the scenario on a platform that has it (npm run scenario -- --validate names them)" });
  }
  return op.bind(platform.operations) as NonNullable<Platform["operations"][K]>;
}
