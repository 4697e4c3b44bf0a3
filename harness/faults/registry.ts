import type { z } from "zod";
import type { FaultType } from "./fault.js";
import { databasePause, databaseStop } from "./database-faults.js";
import { databaseBandwidth, databaseCut, databaseLatency, databaseReset, databaseTimeout } from "./database-network.js";
import { backupDamage, databaseLoss, databaseTruncate } from "./data-loss.js";
import { crashLoop } from "./crash-loop.js";
import { kill } from "./kill.js";
import { nodeDown, nodeDrain } from "./node-faults.js";
import { partition } from "./partition.js";
import { cpuStress, memoryPressure } from "./resource-pressure.js";
import { setFaults } from "./set-faults.js";

/** Every fault a scenario step can inject, by type. A new fault is a module and one line here. */
export const FAULTS = [databasePause, databaseStop, setFaults, kill, databaseLatency, databaseBandwidth, databaseReset, databaseTimeout, databaseCut, databaseLoss, databaseTruncate, backupDamage, partition, cpuStress, memoryPressure, crashLoop, nodeDrain, nodeDown] as const;

export type FaultSpec = { [K in keyof typeof FAULTS]: (typeof FAULTS)[K] extends FaultType<infer S> ? z.infer<S> : never }[number];

export const FAULT_TYPES = FAULTS.map((f) => f.type) as ReadonlyArray<FaultSpec["type"]>;

/** The registry entry for a fault type (undefined for an unknown one). */
export function faultType(type: string): FaultType | undefined {
  return (FAULTS as readonly FaultType[]).find((f) => f.type === type);
}
