import type { AccessReview, ConnectionTest, EncryptionAtRest, Instance, KubernetesView, SecretAtRest } from "../platforms/platform.js";
import type { DeploymentSpec } from "../document/deployment-spec.js";
import type { RecoveryEvidence } from "../recovery/drill.js";
import type { Expectation } from "../scenario/scenario.js";
import type { EventOf, Stamped, TimelineEvent } from "../timeline/events.js";

/** What the checker judges from: the timeline and what was read from the services themselves. */
export interface Evidence {
  readonly events: readonly Stamped<TimelineEvent>[];
  /** Role to the version it ran. */
  readonly versions: ReadonlyMap<string, string>;
  /** Role to the /metrics text of each of its instances, read at the end of the run. */
  readonly metrics: ReadonlyMap<string, readonly string[]>;
  /** The router's shares read back from it at the end of the run. */
  readonly finalShares?: Readonly<Record<string, number>>;
  /** "role path" to the status each instance answered at the end of the run (null: no answer). */
  readonly finalHealth?: ReadonlyMap<string, ReadonlyArray<number | null>>;
  /** The document's configuration the run used, and its environment: what deployment expectations compare with. */
  readonly spec?: DeploymentSpec;
  readonly environment?: string;
  /** The disaster recovery drill: acknowledged writes, the table before and after, the backups. */
  readonly recovery?: RecoveryEvidence;
  /** Secrets read straight from etcd at the end of the run, by name (or why they could not be). */
  readonly atRest?: ReadonlyMap<string, SecretAtRest | { error: string }>;
  /** Every Secret of the cluster in etcd by what encrypted it, and the API server's configuration, at the end (or why they could not be read). */
  readonly encryption?: EncryptionAtRest | { error: string };
  /** The API server's answers to the access expectations' SubjectAccessReviews, by question (access-expectation.ts's accessKey). */
  readonly access?: ReadonlyMap<string, AccessReview | { error: string }>;
  /** The connections the connectivity expectations tried, by connection (connectivity-expectation.ts's connectionKey). */
  readonly connectivity?: ReadonlyMap<string, ConnectionTest | { error: string }>;
}

export interface Judgement {
  id: string;
  description: string;
  held: boolean;
  evidence: string;
  /** Not held, but not failed either: why the evidence cannot be trusted (the machine running the harness was saturated). */
  inconclusive?: string;
  /** Wall seconds the checker took to judge it (JUnit's case time): reading and comparing the evidence, not gathering it. */
  seconds?: number;
  /** Failed only on timing evidence (see Verdict); read by the saturation rule, not written to results. */
  timingOnly?: boolean;
}

/** `timingOnly`: it failed only on evidence a busy machine can skew (the load's last second), not on the state it checks. */
export type Verdict = { held: boolean; evidence: string; timingOnly?: boolean };

/** What collectors can read at the end of a run, beyond the timeline. */
export interface EvidenceSources {
  /** The router's weights read back now; undefined when the run has no router. */
  readShares(): Promise<Record<string, number> | undefined>;
  /** The instances of a deployed role (undefined for a role that was not deployed). */
  instances(role: string): readonly Instance[] | undefined;
  /** GET a URL from the harness: the status (null: no answer) and, when asked, the body. */
  get(url: string, options?: { keepText?: boolean }): Promise<{ status: number | null; text?: string }>;
  /** What the cluster itself says (kind): a Secret and every Secret as etcd stores them, SubjectAccessReviews; undefined on a platform without one. */
  kubernetes?: Pick<KubernetesView, "secretAtRest" | "encryptionAtRest" | "reviewAccess" | "testConnection">;
}

/** What the collectors read at the end of a run, kept once for every expectation that needs it. */
export interface Collected {
  metrics: Map<string, string[]>;
  finalHealth: Map<string, Array<number | null>>;
  finalShares?: Record<string, number>;
  sharesRead?: boolean;
  /** Secrets read from etcd at the end, by name (or why they could not be). */
  atRest?: Map<string, SecretAtRest | { error: string }>;
  encryption?: EncryptionAtRest | { error: string };
  access?: Map<string, AccessReview | { error: string }>;
  connectivity?: Map<string, ConnectionTest | { error: string }>;
}

/**
 * One kind of expectation: how it reads in a report, what it collects at the
 * end of a run (beyond the timeline) and how it is judged. A judge reads only
 * evidence, never what the controller says it did.
 */
export interface ExpectationKind<K extends Expectation["kind"]> {
  describe(e: Extract<Expectation, { kind: K }>): string;
  collect?(e: Extract<Expectation, { kind: K }>, sources: EvidenceSources, into: Collected): Promise<void>;
  judge(e: Extract<Expectation, { kind: K }>, evidence: Evidence): Verdict;
}

/** The router's shares, read once for every expectation that needs them. */
export async function collectShares(sources: EvidenceSources, into: Collected): Promise<void> {
  if (into.sharesRead) return;
  into.sharesRead = true;
  const shares = await sources.readShares();
  if (shares) into.finalShares = shares;
}

/** Wall seconds per spec second of the run: `within` is spec time, event times are wall time. */
export function timeScaleOf(evidence: Evidence): number {
  return evidence.events.find((ev): ev is Stamped<EventOf<"run.started">> => ev.type === "run.started")?.timeScale ?? 1;
}

export function stepWindow(events: readonly Stamped[], step: string): { start: number; end: number } | undefined {
  const start = events.find((ev) => ev.type === "step.started" && ev.step === step)?.t;
  const end = events.find((ev) => ev.type === "step.finished" && ev.step === step)?.t;
  return start === undefined || end === undefined ? undefined : { start, end };
}

export type Ev<T extends TimelineEvent["type"]> = Stamped<EventOf<T>>;

export const of = <T extends TimelineEvent["type"]>(events: readonly Stamped[], type: T): Array<Ev<T>> => events.filter((e): e is Ev<T> => e.type === type);

export function sharesText(shares: Readonly<Record<string, number>> | undefined): string {
  return shares ? Object.entries(shares).map(([k, v]) => `${k} ${v}%`).join(", ") : "never read";
}

/** The candidate's requests in the load stream between two times: requests, failures, worst per-second p95. */
export function candidateLoad(evidence: Evidence, from: number, to: number): { requests: number; failed: number; worstP95: number } {
  const version = evidence.versions.get("candidate");
  const started = of(evidence.events, "load.started")[0]?.t ?? 0;
  const rows = of(evidence.events, "load.second").filter((r) => r.version === version && started + r.second >= from - 1 && started + r.second <= to);
  return {
    requests: rows.reduce((a, r) => a + r.requests, 0),
    failed: rows.reduce((a, r) => a + r.failed, 0),
    worstP95: rows.reduce((a, r) => Math.max(a, r.requests > 0 ? r.p95 : 0), 0),
  };
}

/**
 * Who answered the load in its last full seconds: the requests that got an
 * HTTP answer, by the version that gave it (answers without one, such as the
 * router's own 503, under "(none)"), and apart from them the requests that
 * got no answer at all (a transport error: reset, EOF, timeout), by cause.
 * Those say nothing about where the router sent traffic.
 */
export interface LoadServed {
  versions: Record<string, number>;
  unanswered: Record<string, number>;
}

export function lastLoadServed(evidence: Evidence, seconds: number): LoadServed | undefined {
  const rows = of(evidence.events, "load.second").filter((r) => r.version !== "*");
  if (rows.length === 0) return undefined;
  const last = Math.max(...rows.map((r) => r.second));
  const served: LoadServed = { versions: {}, unanswered: {} };
  for (const r of rows) {
    if (r.second <= last - seconds || r.second >= last || r.requests === 0) continue;
    const noAnswer = r.codes["0"] ?? 0;
    if (r.requests > noAnswer) served.versions[r.version] = (served.versions[r.version] ?? 0) + r.requests - noAnswer;
    if (noAnswer === 0) continue;
    const causes = Object.entries(r.errors ?? {});
    const named = causes.reduce((n, [, c]) => n + c, 0);
    for (const [cause, n] of causes) served.unanswered[cause] = (served.unanswered[cause] ?? 0) + n;
    if (noAnswer > named) served.unanswered["transport error"] = (served.unanswered["transport error"] ?? 0) + noAnswer - named;
  }
  return served;
}

/** "; the load's last full second went to good-2 ×199 (1 got no answer: EOF ×1)" for a verdict's evidence. */
export function servedText(served: LoadServed | undefined): string {
  if (!served) return "";
  const to = Object.entries(served.versions).map(([v, n]) => `${v} ×${n}`).join(", ") || "nobody";
  const lost = Object.entries(served.unanswered);
  const none = lost.reduce((n, [, c]) => n + c, 0);
  return `; the load's last full second went to ${to}${none > 0 ? ` (${none} got no answer: ${lost.map(([e, n]) => `${e} ×${n}`).join(", ")})` : ""}`;
}

/** The wall-time window an expectation is judged in: its step's, or the whole run; undefined when the step never ran to its end. */
export function judgedWindow(evidence: Evidence, during: string | undefined): { start: number; end: number } | undefined {
  return during ? stepWindow(evidence.events, during) : { start: 0, end: Infinity };
}
