import type { StartedTestContainer } from "testcontainers";
import type { DeploySpec, Instance } from "../platform.js";

/** A deployed role as the platform keeps it: its service (whose version an operation changes), containers and what they replaced. */
export interface DeployedRole {
  readonly spec: DeploySpec;
  readonly service: { role: string; version: string; instances: Instance[] };
  /** Versions before each rollout, for undo. */
  readonly history: string[];
  readonly containers: StartedTestContainer[];
  readonly hostPorts: number[];
  /** How many times instances were replaced: names each replacement's log. */
  generation: number;
}
/** The reference service's port in its container. */
export const APP_PORT = 8000;
