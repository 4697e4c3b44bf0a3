import { describe, expect, it } from "vitest";
import type { Database } from "../platforms/platform.js";
import { newPassword, sessionOf, withPassword } from "./database-password.js";

describe("database password rotation: the pieces that need no server", () => {
  it("puts a new password in both URLs of the database and keeps the rest", async () => {
    const db = { name: "agi_eval_staging", serviceUrl: "postgres://gameday:gameday@172.18.0.3:5432/agi_eval_staging", harnessUrl: async () => "postgres://gameday:gameday@127.0.0.1:32768/agi_eval_staging" } as Database;
    const next = withPassword(db, "n3w-Pass_word");
    expect(next.serviceUrl).toBe("postgres://gameday:n3w-Pass_word@172.18.0.3:5432/agi_eval_staging");
    expect(await next.harnessUrl()).toBe("postgres://gameday:n3w-Pass_word@127.0.0.1:32768/agi_eval_staging");
    expect(next.name).toBe("agi_eval_staging");
    expect(db.serviceUrl).toContain("gameday:gameday@");
  });

  it("makes URL-safe passwords of 32 characters, a new one each time", () => {
    const p = newPassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newPassword()).not.toBe(p);
  });

  it("matches a service session to the pod that opened it, and a name PostgreSQL cut at 63 bytes to the pods it begins", () => {
    expect(sessionOf("evaluation-api@agi-eval-sandbox-stable-5b9-abcde", "agi-eval-sandbox-stable-5b9-abcde")).toBe(true);
    expect(sessionOf("evaluation-api-readiness@agi-eval-sandbox-stable-5b9-abcde", "agi-eval-sandbox-stable-5b9-abcde")).toBe(true);
    expect(sessionOf("evaluation-api@agi-eval-sandbox-stable-5b9-abcde", "agi-eval-sandbox-stable-5b9-fghij")).toBe(false);
    expect(sessionOf("evaluation-api@agi-eval-sandbox-stable-5b9", "agi-eval-sandbox-stable-5b9-abcde")).toBe(false);
    const cut = "evaluation-api-readiness@agi-eval-sandbox-candidate-7d9f8c6b54-";
    expect(Buffer.byteLength(cut)).toBe(63);
    expect(sessionOf(cut, "agi-eval-sandbox-candidate-7d9f8c6b54-xyzab")).toBe(true);
    expect(sessionOf("deploy-gameday", "agi-eval-sandbox-stable-5b9-abcde")).toBe(false);
  });
});
