import type { z } from "zod";
import { HarnessError } from "../common/errors.js";
import type { PlatformName } from "../model/platform-name.js";
import type { RollbackSpec } from "../document/deployment-types.js";
import type { InstanceGate, OperationName, Operations, Platform, Service } from "../platforms/platform.js";
import type { DeploymentHistory } from "../recovery/deployment-history.js";
import type { RecoveryDrill } from "../recovery/drill.js";

/** What an action can reach in the run it is performed in. */
export interface ActionContext {
  readonly platform: Platform;
  readonly services: ReadonlyMap<string, Service>;
  /** The run's disaster recovery drill, when it has a database. */
  readonly drill?: RecoveryDrill;
  /** The run's deployment history: the versions each role ran and what the load saw of each. */
  readonly history?: DeploymentHistory;
  /** The document's rollback triggers (as the scenario's spec: block overrides them). */
  readonly rollback?: RollbackSpec;
  /** The router in front of the roles, when the run has one: rollouts on a platform without a load balancer of its own go behind it. */
  readonly gate?: InstanceGate;
}

/**
 * One kind of operator action, as scenario steps name it (`action: { type: rollout, role: stable, tag: good-2 }`):
 * its schema (the whole `action:` mapping, `type` included), the platform
 * operation it performs, if it is one, and the platforms that implement it.
 * The scenario reader, the runner and `--validate` all read the registry
 * (harness/actions/registry.ts); a test checks that every platform named
 * here really implements the operation.
 */
export interface ActionType<S extends z.ZodType<{ type: string }> = z.ZodType<{ type: string }>> {
  readonly type: string;
  /** One line for people: what an operator does. */
  readonly summary: string;
  readonly schema: S;
  /** The platform operation the action performs, when it is one (a test keeps `platforms` in step with the platforms that implement it). */
  readonly operation?: OperationName;
  readonly platforms: readonly PlatformName[];
  /** The action restores backups: the scenario must take them (`backups:`). */
  readonly needsBackups?: boolean;
  /** The roles the action names, checked against the scenario's versions. */
  roles(spec: z.infer<S>): string[];
  /** Catalog images the action will need, made available before the run starts. */
  images(spec: z.infer<S>): string[];
  /** Performs it; returns a one-line description for the timeline (action.performed). */
  perform(spec: z.infer<S>, ctx: ActionContext): Promise<string>;
}

export function defineAction<S extends z.ZodType<{ type: string }>>(type: ActionType<S>): ActionType<S> {
  return type;
}

/** A platform's operation, or a clear error naming the platforms that have it. */
export function operationOf<K extends OperationName>(action: Pick<ActionType, "type" | "platforms">, platform: Platform, name: K): NonNullable<Operations[K]> {
  const operation = platform.operations[name];
  if (!operation) {
    throw new HarnessError("USAGE", `the ${action.type} action is not implemented on the ${platform.name} platform`, {
      hint: `run the scenario with ${action.platforms.map((p) => `--platform ${p}`).join(" or ")}`,
    });
  }
  return operation.bind(platform.operations) as NonNullable<Operations[K]>;
}

/** Perform an action in a run. */
export async function performAction(action: ActionType, spec: { type: string }, ctx: ActionContext): Promise<string> {
  return await action.perform(spec as never, ctx);
}
