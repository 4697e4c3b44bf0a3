/**
 * The timeline is the spine of a run: every part writes typed events to it;
 * progress output, events.jsonl and the checker read them.
 */
export type TimelineEvent =
  | { type: "run.started"; runId: string; scenario: string; platform: string; timeScale: number; runDir: string }
  | { type: "run.finished"; verdict: Verdict; exitCode: number; wallSeconds: number }
  | { type: "step.started"; step: string; kind: string; specSeconds?: number; wallSeconds?: number }
  | { type: "step.finished"; step: string; kind: string; wallSeconds: number }
  | { type: "image.ready"; image: string; ref: string; source: ImageSource; seconds: number }
  | { type: "image.building"; image: string; reason: string }
  | { type: "resource.started"; kind: "container" | "network"; role: string; name: string; id: string; seconds?: number }
  | { type: "resource.removed"; kind: "container" | "network"; role: string; name: string }
  | { type: "probe.observed"; target: string; path: string; status: number | null; ms: number; error?: string; body?: unknown }
  | { type: "fault.injected"; fault: string; target: string; detail: string }
  | { type: "fault.undone"; fault: string; target: string }
  | { type: "expectation.judged"; id: string; description: string; held: boolean; evidence: string }
  | { type: "note"; level: "info" | "warn"; message: string };

export type Verdict = "passed" | "failed" | "error" | "interrupted";
export type ImageSource = "upstream" | "cached" | "built";

/** An event as stored: with wall time since the run started and the matching spec time. */
export type Stamped<E extends TimelineEvent = TimelineEvent> = E & { at: string; t: number; specT: number };

export type EventOf<T extends TimelineEvent["type"]> = Extract<TimelineEvent, { type: T }>;

export type Sink = (event: TimelineEvent) => void;
