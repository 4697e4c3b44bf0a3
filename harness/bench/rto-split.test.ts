import { describe, expect, it } from "vitest";
import { medianSplit, parseEvents, partName, splitRto, type TimedEvent } from "./rto-split.js";

const phase = (name: string, t: number): TimedEvent => ({ type: "recovery.phase", phase: name, t });
const disaster = (t: number): TimedEvent => ({ type: "fault.injected", fault: "database-loss", t });

/** A whole recovery: the disaster at 20 s, the first write after it at 31.5 s. */
const RUN: TimedEvent[] = [
  { type: "run.started", t: 0 },
  { type: "fault.injected", fault: "kill", t: 5 },
  disaster(20),
  phase("detected", 21),
  phase("database-started", 22.5),
  phase("restored", 25),
  phase("service-pointed", 25.25),
  phase("service-ready", 30),
  phase("first-write", 31.5),
  { type: "run.finished", t: 40 },
];

describe("splitRto", () => {
  it("splits the time from the disaster to the first write into one part per phase", () => {
    expect(splitRto(RUN)).toEqual({
      disasterT: 20,
      parts: [
        { phase: "detected", seconds: 1 },
        { phase: "database-started", seconds: 1.5 },
        { phase: "restored", seconds: 2.5 },
        { phase: "service-pointed", seconds: 0.25 },
        { phase: "service-ready", seconds: 4.75 },
        { phase: "first-write", seconds: 1.5 },
      ],
      totalSeconds: 11.5,
      missing: [],
    });
  });

  it("is undefined without the disaster", () => {
    expect(splitRto(RUN.filter((e) => e.fault !== "database-loss"))).toBeUndefined();
  });

  it("folds a phase the run did not record into the next part, and names it missing", () => {
    const split = splitRto(RUN.filter((e) => e.phase !== "service-pointed"))!;
    expect(split.parts.find((p) => p.phase === "service-ready")).toEqual({ phase: "service-ready", seconds: 5 });
    expect(split.missing).toEqual(["service-pointed"]);
    expect(split.totalSeconds).toBe(11.5);
  });

  it("has no total when the service never wrote again", () => {
    const split = splitRto(RUN.filter((e) => e.phase !== "first-write"))!;
    expect(split.totalSeconds).toBeUndefined();
    expect(split.missing).toEqual(["first-write"]);
  });

  it("takes the first event of each phase after the disaster, in time order, and keeps a phase it does not know", () => {
    const split = splitRto([phase("detected", 1), disaster(10), phase("detected", 12), phase("detected", 13), phase("backup-chosen", 14), phase("restored", 16), phase("first-write", 17)])!;
    expect(split.parts).toEqual([
      { phase: "detected", seconds: 2 },
      { phase: "backup-chosen", seconds: 2 },
      { phase: "restored", seconds: 2 },
      { phase: "first-write", seconds: 1 },
    ]);
    expect(split.totalSeconds).toBe(7);
  });

  it("orders phases stamped at the same time as the recovery does", () => {
    const split = splitRto([disaster(0), phase("service-pointed", 3), phase("restored", 3), phase("first-write", 4)])!;
    expect(split.parts.map((p) => p.phase)).toEqual(["restored", "service-pointed", "first-write"]);
  });
});

describe("splitRto on the recovery drill's timeline", () => {
  const since = (name: string, t: number, sinceDisasterSeconds: number): TimedEvent => ({ type: "recovery.phase", phase: name, t, sinceDisasterSeconds });
  // As harness/recovery/drill.ts writes it: the disaster marked before the container goes, the fault's event after;
  // the first failed request found (and emitted) only when the restore starts.
  const DRILL: TimedEvent[] = [
    { type: "step.started", kind: "fault database-loss", t: 9.9 },
    { type: "recovery.phase", phase: "disaster", t: 10, sinceDisasterSeconds: 0 },
    disaster(10.4),
    { type: "step.started", kind: "action restore-database", t: 13 },
    since("detected", 14, 0.2),
    since("database-started", 15, 5),
    since("restored", 16.5, 6.5),
    since("service-pointed", 16.7, 6.7),
    since("service-ready", 18, 8),
    since("first-write", 18.2, 8.1),
  ];

  it("counts from the drill's disaster mark, takes each phase's own time since the disaster, and adds the destruction and the restore step's start", () => {
    const split = splitRto(DRILL)!;
    expect(split.disasterT).toBe(10);
    expect(split.parts.map((p) => [p.phase, Math.round(p.seconds * 1000) / 1000])).toEqual([
      ["detected", 0.2],
      ["destroyed", 0.2],
      ["recovery-started", 2.6],
      ["database-started", 2],
      ["restored", 1.5],
      ["service-pointed", 0.2],
      ["service-ready", 1.3],
      ["first-write", 0.1],
    ]);
    expect(split.totalSeconds).toBe(8.1);
    expect(split.missing).toEqual([]);
  });

  it("counts from the fault's own event when the drill marked no disaster", () => {
    const split = splitRto([disaster(10), phase("restored", 12)])!;
    expect(split.disasterT).toBe(10);
    expect(split.parts).toEqual([{ phase: "restored", seconds: 2 }]);
  });
});

describe("medianSplit", () => {
  it("takes each part's median over the runs that recorded it, and the median total", () => {
    // Detection takes `by` seconds longer; every later phase moves with it.
    const shift = (by: number) => splitRto(RUN.map((e) => (e.type === "recovery.phase" ? { ...e, t: e.t + by } : e)))!;
    const runs = [splitRto(RUN)!, shift(1), shift(3), splitRto(RUN.filter((e) => e.phase !== "first-write"))!];
    const m = medianSplit(runs);
    expect(m.parts.map((p) => p.phase)).toEqual(["detected", "database-started", "restored", "service-pointed", "service-ready", "first-write"]);
    expect(m.parts[0]).toEqual({ phase: "detected", seconds: 1.5, runs: 4 });
    expect(m.parts[5]).toEqual({ phase: "first-write", seconds: 1.5, runs: 3 });
    expect(m.totalSeconds).toBe(12.5);
    expect(m.runs).toBe(3);
  });

  it("has no total when no run reached the first write", () => {
    expect(medianSplit([]).totalSeconds).toBeUndefined();
  });
});

describe("parseEvents and partName", () => {
  it("reads events.jsonl, blank lines aside", () => {
    expect(parseEvents('{"type":"a","t":1}\n\n{"type":"b","t":2}\n')).toEqual([
      { type: "a", t: 1 },
      { type: "b", t: 2 },
    ]);
  });

  it("names each part after what it waits for, and an unknown phase after itself", () => {
    expect(partName("database-started")).toBe("start PostgreSQL");
    expect(partName("backup-chosen")).toBe("backup-chosen");
  });
});
