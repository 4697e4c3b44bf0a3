import type { z } from "zod";
import type { PlatformName } from "../model/platform-name.js";
import type { Database, OperationName, Platform, Service } from "../platforms/platform.js";
import type { RecoveryDrill } from "../recovery/drill.js";

/** A fault the harness can inject and must be able to undo (and does, at the end of every run). */
export interface Fault {
  readonly name: string;
  readonly target: string;
  /** Inject; returns a one-line description for the timeline (fault.injected). */
  inject(): Promise<string>;
  /** Undo; the timeline gets fault.undone, with what the undo found where it says (a line). */
  undo(): Promise<void | string>;
  /** The damage stays (lost data, a damaged backup): undo does nothing and no fault.undone is recorded; a recovery step is what repairs it. */
  readonly permanent?: boolean;
}

/** What a fault can reach in the run it is injected into. */
export interface FaultTarget {
  readonly platform: Platform;
  readonly database: Database | undefined;
  /** Deployed roles (stable, candidate, ...) to their services. */
  readonly services: ReadonlyMap<string, Service>;
  /** The run's disaster recovery drill (its evidence and current database), when it has a database. */
  readonly drill?: RecoveryDrill;
}

/**
 * One kind of fault, as scenario steps name it (`fault: { type: database-pause }`):
 * its schema (the whole `fault:` mapping, `type` included), the platforms it
 * works on, what it needs, and how to make one. The scenario reader, the
 * runner and `--validate` all read the registry (harness/faults/registry.ts),
 * so a new fault is one file and one line there.
 */
export interface FaultType<S extends z.ZodType<{ type: string }> = z.ZodType<{ type: string }>> {
  readonly type: string;
  /** One line for people: what the fault does to the system under test. */
  readonly summary: string;
  readonly schema: S;
  readonly platforms: readonly PlatformName[];
  /** The platform operation the fault works through, if any: a test keeps `platforms` in step with the platforms that implement it. */
  readonly operation?: OperationName;
  /** The fault acts on the run's database (a scenario with `database: false` cannot use it). */
  readonly needsDatabase: boolean;
  /** The fault acts on the connections between the services and the database: provisioning puts a fault proxy between them (Database.proxy). */
  readonly needsDatabaseProxy?: boolean;
  /** The roles the fault names, checked against the scenario's versions. */
  roles(spec: z.infer<S>): string[];
  create(spec: z.infer<S>, target: FaultTarget): Fault;
}

/** Typed identity: lets each fault module declare its entry with its own schema's type. */
export function defineFault<S extends z.ZodType<{ type: string }>>(type: FaultType<S>): FaultType<S> {
  return type;
}
