import { describe, expect, it } from "vitest";
import { createdId } from "../load/vegeta-results.js";
import { WriteLog } from "./write-log.js";

describe("the write log", () => {
  it("keeps acknowledged writes with their answer time, and failures by send time", () => {
    const log = new WriteLog();
    const seen: string[] = [];
    log.onWrite((w) => seen.push(w.id));
    log.see({ at: 1000, latencyMs: 5, code: 201, created: "1" });
    log.see({ at: 1100, latencyMs: 5, code: 503 });
    log.see({ at: 1200, latencyMs: 5, code: 0, error: "connection refused" });
    log.see({ at: 1300, latencyMs: 5, code: 404 });
    log.see({ at: 1400, latencyMs: 50, code: 201, created: "2" });
    log.see({ at: 1450, latencyMs: 10, code: 201, created: "3" });
    expect(log.writes).toEqual([
      { id: "1", sentWallMs: 1000, ackWallMs: 1005 },
      { id: "2", sentWallMs: 1400, ackWallMs: 1450 },
      { id: "3", sentWallMs: 1450, ackWallMs: 1460 },
    ]);
    expect(seen).toEqual(["1", "2", "3"]);
    // A 4xx is the client's mistake, not a failure of the service.
    expect(log.firstFailureSince(1001)).toBe(1100);
    expect(log.firstFailureSince(1101)).toBe(1200);
    expect(log.firstFailureSince(1201)).toBeUndefined();
  });

  it("reads the id of a created row from a POST's answer body (vegeta's base64)", () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    expect(createdId(b64('{"id":42,"model":"m"}'))).toBe("42");
    expect(createdId(b64('{"id":"7"}'))).toBe("7");
    expect(createdId(b64('{"model":"m"}'))).toBeUndefined();
    expect(createdId(b64('{"id":42,"mod'))).toBeUndefined();
    expect(createdId(b64("[1,2]"))).toBeUndefined();
  });
});
