import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { identityOf, ownerAlive, pidOf, processStart, SELF } from "./process-identity.js";

describe("process identity", () => {
  it("names this process by pid and start time, and finds it alive", () => {
    expect(SELF).toMatch(new RegExp(`^${process.pid}-\\d+$`));
    expect(pidOf(SELF)).toBe(process.pid);
    expect(ownerAlive(SELF, { self: true })).toBe(true);
    // Another run's resources are what sweeping protects: this process is not "another live run".
    expect(ownerAlive(SELF)).toBe(false);
  });

  it("takes a live pid with another start time for a stranger: the owner is gone", () => {
    expect(ownerAlive(`${process.pid}-${Number(processStart(process.pid)) + 1}`, { self: true })).toBe(false);
  });

  it("finds a process that has exited gone, and a bare pid checked as a pid", () => {
    const child = spawnSync(process.execPath, ["-e", ""]);
    expect(ownerAlive(identityOf(child.pid!))).toBe(false);
    expect(ownerAlive(String(process.ppid))).toBe(true);
    expect(ownerAlive(undefined)).toBe(false);
    expect(ownerAlive("not-a-pid")).toBe(false);
  });
});
