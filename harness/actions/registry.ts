import type { z } from "zod";
import type { ActionType } from "./action.js";
import { deployLastKnownGood } from "./last-known-good.js";
import { restoreDatabase } from "./restore-database.js";
import { deletePod, rollout, rolloutUndo } from "./rollout.js";

/** Every operator action a scenario step can perform, by type. A new action is a module and one line here. */
export const ACTIONS = [rollout, rolloutUndo, deletePod, restoreDatabase, deployLastKnownGood] as const;

export type ActionSpec = { [K in keyof typeof ACTIONS]: (typeof ACTIONS)[K] extends ActionType<infer S> ? z.infer<S> : never }[number];

export const ACTION_TYPES = ACTIONS.map((a) => a.type) as ReadonlyArray<ActionSpec["type"]>;

/** The registry entry for an action type (undefined for an unknown one). */
export function actionType(type: string): ActionType | undefined {
  return (ACTIONS as readonly ActionType[]).find((a) => a.type === type);
}
