import type { Expectation } from "../scenario/scenario.js";
import { backups } from "./backups-expectation.js";
import { notified } from "./notified-expectation.js";
import { atRest } from "./at-rest-expectation.js";
import { rotation } from "./rotation-expectation.js";
import { access } from "./access-expectation.js";
import { connectivity } from "./connectivity-expectation.js";
import { replicas } from "./replicas-expectation.js";
import { budget } from "./budget-expectation.js";
import { deployment } from "./deployment-expectation.js";
import type { Collected, Evidence, EvidenceSources, ExpectationKind, Judgement, Verdict } from "./evidence.js";
import { health } from "./health-expectation.js";
import { metrics } from "./metrics-expectation.js";
import { pods } from "./pods-expectation.js";
import { restarts } from "./restarts-expectation.js";
import { probe } from "./probe-expectation.js";
import { promoted } from "./promoted-expectation.js";
import { restored, rpo, rto } from "./recovery-expectation.js";
import { rollback } from "./rollback-expectation.js";
import { requests } from "./requests-expectation.js";
import { thresholds } from "./thresholds-expectation.js";
import { traffic } from "./traffic-expectation.js";

export type { Collected, Evidence, EvidenceSources, Judgement } from "./evidence.js";
export { MIN_OBSERVATIONS } from "./probe-expectation.js";

/** One module per kind of expectation, each beside its collector: a new kind without one does not compile. */
const KINDS: { [K in Expectation["kind"]]: ExpectationKind<K> } = { probe, metrics, rollback, promoted, traffic, thresholds, requests, health, pods, restarts, deployment, restored, rpo, rto, backups, notified, atRest, rotation, access, connectivity, replicas, budget };

function kindOf<K extends Expectation["kind"]>(e: Extract<Expectation, { kind: K }>): ExpectationKind<K> {
  return KINDS[e.kind as K];
}

export function judge(e: Expectation, evidence: Evidence): Judgement {
  const description = e.description ?? describeExpectation(e);
  const { held, evidence: text, timingOnly }: Verdict = kindOf(e).judge(e as never, evidence);
  return { id: e.id, description, held, evidence: text, ...(timingOnly && !held ? { timingOnly } : {}) };
}

export function describeExpectation(e: Expectation): string {
  return kindOf(e).describe(e as never);
}

/**
 * At the end of a run, read what the expectations need beyond the timeline
 * (the router's weights, final probes, each role's /metrics), each piece
 * once, in the order the expectations are written.
 */
export async function collectEvidence(expectations: readonly Expectation[], sources: EvidenceSources): Promise<Collected> {
  const into: Collected = { metrics: new Map(), finalHealth: new Map() };
  for (const e of expectations) await kindOf(e).collect?.(e as never, sources, into);
  return into;
}
