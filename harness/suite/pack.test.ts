import { describe, expect, it } from "vitest";
import { nextToStart } from "./pack.js";

const docker = (cores: number) => ({ cores, kind: false });
const kind = (cores: number) => ({ cores, kind: true });

describe("nextToStart", () => {
  it("starts the first pending run when nothing runs, whatever its size", () => {
    expect(nextToStart([docker(3), docker(0.2)], [], 0)).toBe(0);
  });

  it("starts the first pending run that fits what the running ones leave, in the suite's order", () => {
    expect(nextToStart([docker(1.2), docker(0.5), docker(0.3)], [docker(1.4)], 0.6)).toBe(1);
    expect(nextToStart([docker(0.6)], [docker(1.4)], 0.6)).toBe(0);
  });

  it("starts nothing while no pending run fits", () => {
    expect(nextToStart([docker(1.2), docker(0.7)], [docker(1.4)], 0.6)).toBeUndefined();
    expect(nextToStart([], [docker(1.4)], 0.6)).toBeUndefined();
  });

  it("runs one kind run at a time (one cluster), a Docker run beside it when it fits", () => {
    expect(nextToStart([kind(0.8), docker(0.2)], [kind(0.9)], 1.1)).toBe(1);
    expect(nextToStart([kind(0.8)], [docker(0.2)], 1.8)).toBe(0);
  });
});
