import { describe, expect, it } from "vitest";
import { ExitCode, HarnessError, REPORT_BUG, asHarnessError } from "./errors.js";

describe("asHarnessError", () => {
  it("keeps a HarnessError as it is", () => {
    const e = new HarnessError("TIMEOUT", "waited too long", { hint: "look" });
    expect(asHarnessError(e)).toBe(e);
  });

  it("makes anything else an INTERNAL error (exit 70) that keeps the stack and asks for a report", () => {
    const bug = new TypeError("cannot read properties of undefined (reading 'instances')");
    const e = asHarnessError(bug);
    expect(e.code).toBe("INTERNAL");
    expect(e.exitCode).toBe(ExitCode.internal);
    expect(e.exitCode).toBe(70);
    expect(e.message).toContain("unexpected error: cannot read properties of undefined");
    expect(e.message).toContain("errors.test.ts");
    expect(e.hint).toBe(REPORT_BUG);
    expect(e.cause).toBe(bug);
  });

  it("names a thrown non-Error value", () => {
    expect(asHarnessError("boom").message).toMatch(/^unexpected error: boom/);
  });

  it("keeps interruption and bad input apart from bugs", () => {
    expect(new HarnessError("INTERRUPTED", "x").exitCode).toBe(130);
    expect(new HarnessError("SCENARIO_INVALID", "x").exitCode).toBe(2);
  });
});
