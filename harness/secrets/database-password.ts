import { randomBytes } from "node:crypto";
import pg from "pg";
import { waitFor, type Clock } from "../common/clock.js";
import { HarnessError, errorMessage } from "../common/errors.js";
import type { Database, Platform } from "../platforms/platform.js";

/**
 * The database password rotated as an operator would with one role: the
 * role's password changed in PostgreSQL, then the Secret the services read
 * (database-secret on kind) rewritten and every Deployment restarted to read
 * it. Sessions opened before the change stay open until their pods go; any
 * connection a pod opens between the change and its replacement is refused:
 * the failures a scenario bounds with a threshold.
 *
 * The evidence, read from PostgreSQL itself: the old password is refused
 * (SQLSTATE 28P01), and every pod running after the restart has a session
 * that began after the change (the reference service names its sessions
 * `evaluation-api@<pod>` and `evaluation-api-readiness@<pod>`), so it
 * authenticated with the new password.
 */

/** How long the harness looks for each pod's first session after the change (a pod under load opens one at once; /ready opens one every probe period). */
const SESSIONS_TIMEOUT_MS = 30_000;

export interface PodSession {
  readonly pod: string;
  readonly role: string;
  /** Wall ms after the password change at which the pod's first session began (undefined: none seen). */
  readonly sessionAfterMs?: number;
}

export interface PasswordChange {
  /** Epoch ms (PostgreSQL's clock, the machine's) once the new password had committed. */
  readonly changedAtMs: number;
  /** What connecting with the old password got: SQLSTATE 28P01 when refused. */
  readonly oldPassword: { readonly refused: boolean; readonly code?: string; readonly message: string };
  /** What the platform did to hand the services the new password. */
  readonly services: string;
  /** Every pod running after the restart, and whether it authenticated after the change. */
  readonly pods: readonly PodSession[];
  /** Sessions of the services still open from before the change when the look ended (pods on their way out). */
  readonly oldSessions: number;
}

/** The database with another password in both of its URLs: what it is once PostgreSQL has taken that password. */
export function withPassword(database: Database, password: string): Database {
  const swap = (url: string) => {
    const u = new URL(url);
    u.password = encodeURIComponent(password);
    return u.href;
  };
  return { ...database, serviceUrl: swap(database.serviceUrl), harnessUrl: async () => swap(await database.harnessUrl()) };
}

/** A new random password (URL-safe: it sits in the database URL). */
export function newPassword(): string {
  return randomBytes(24).toString("base64url");
}

/** PostgreSQL keeps this many bytes of a session's application_name. */
const NAME_BYTES = 63;

/**
 * Whether a service session (`evaluation-api@<pod>`, `evaluation-api-readiness@<pod>`)
 * was opened by this pod. A name PostgreSQL cut at 63 bytes matches the pods
 * whose name begins with what is left.
 */
export function sessionOf(applicationName: string, pod: string): boolean {
  const m = /^evaluation-api(?:-readiness)?@(.+)$/.exec(applicationName);
  if (!m) return false;
  const cut = Buffer.byteLength(applicationName) >= NAME_BYTES;
  return m[1] === pod || (cut && pod.startsWith(m[1]!));
}

async function withClient<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: "deploy-gameday" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tryOldPassword(url: string): Promise<PasswordChange["oldPassword"]> {
  try {
    await withClient(url, (c) => c.query("SELECT 1"));
    return { refused: false, message: "the old password still connects" };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { refused: code === "28P01", ...(code ? { code } : {}), message: errorMessage(e) };
  }
}

export interface ChangePasswordOptions {
  readonly database: Database;
  readonly platform: Platform;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
}

/** Change the password, hand it to the services, and read the evidence; the database as it is now (its URLs carry the new password). */
export async function changeDatabasePassword({ database, platform, clock, signal }: ChangePasswordOptions): Promise<{ database: Database; change: PasswordChange }> {
  const kubernetes = platform.kubernetes;
  if (!kubernetes) throw new HarnessError("SCENARIO_INVALID", `a secret rotation needs the kind platform, not ${platform.name}`, { hint: "set platform: kind" });
  const oldUrl = await database.harnessUrl();
  const role = decodeURIComponent(new URL(oldUrl).username);
  const password = newPassword();
  // PostgreSQL's own clock after the change has committed: a session that began later authenticated with the new password.
  const changedAtMs = await withClient(oldUrl, async (c) => {
    await c.query(`ALTER ROLE "${role.replace(/"/g, '""')}" PASSWORD '${password}'`);
    return Number((await c.query<{ at: string }>("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS at")).rows[0]!.at);
  }).catch((e: unknown) => {
    throw new HarnessError("CONTAINER_FAILED", `could not change the password of role ${role}: ${errorMessage(e)}`, { hint: "the database container's log in the run folder says why", cause: e });
  });
  const next = withPassword(database, password);
  const oldPassword = await tryOldPassword(oldUrl);
  const services = await platform.pointServicesAt(next);

  // Every pod now running, and the first session each began after the change.
  const pods = (await kubernetes.observe()).flatMap((o) => o.pods.filter((p) => p.phase === "Running").map((p) => ({ pod: p.name, role: o.role })));
  const firstAfter = new Map<string, number>();
  let oldSessions = 0;
  await withClient(await next.harnessUrl(), async (c) => {
    const look = async () => {
      const rows = (await c.query<{ application_name: string; started: string }>(`SELECT application_name, (extract(epoch from backend_start) * 1000)::bigint AS started FROM pg_stat_activity WHERE application_name LIKE 'evaluation-api%@%'`)).rows;
      oldSessions = 0;
      for (const r of rows) {
        const started = Number(r.started);
        if (started < changedAtMs) oldSessions++;
        else for (const p of pods) if (sessionOf(r.application_name, p.pod) && !firstAfter.has(p.pod)) firstAfter.set(p.pod, started - changedAtMs);
      }
      return pods.every((p) => firstAfter.has(p.pod)) ? true : undefined;
    };
    await waitFor(look, { timeoutMs: SESSIONS_TIMEOUT_MS, intervalMs: 100, clock, description: "a session of every pod after the password change", ...(signal ? { signal } : {}) }).catch(() => undefined);
  });
  return {
    database: next,
    change: {
      changedAtMs,
      oldPassword,
      services,
      pods: pods.map((p) => ({ ...p, ...(firstAfter.has(p.pod) ? { sessionAfterMs: firstAfter.get(p.pod)! } : {}) })),
      oldSessions,
    },
  };
}
