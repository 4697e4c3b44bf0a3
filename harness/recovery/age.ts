import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable, type Writable } from "node:stream";
import { type CommandStream, commandSink, filterThrough } from "../common/command-stream.js";
import { HarnessError } from "../common/errors.js";
import { exec } from "../common/exec.js";
import { ensureTool } from "../common/tools.js";

/**
 * Backups are encrypted at rest with age (https://age-encryption.org), the
 * real tool from Debian's `age` package: the project writes no cryptography
 * of its own. Each run has its own X25519 key, made by `age-keygen`.
 */

const HINT = "`bash scripts/tools.sh age` installs it (Debian: apt-get install age); `npm run doctor` says what is missing";

/** Make sure age and age-keygen are there (installed from Debian's packages on first use), once per process. */
export function ensureAge(signal?: AbortSignal): Promise<void> {
  return ensureTool("age", { hint: HINT, ...(signal ? { signal } : {}) });
}

/** An age key: the identity file (secret, mode 0600) and its public recipient ("age1..."). */
export interface AgeKey {
  readonly identityFile: string;
  readonly recipient: string;
}

const RECIPIENT = /^# public key: (age1[0-9a-z]+)$/m;

/**
 * The key in `identityFile`, made with `age-keygen` when the file is not there
 * yet. Its folder is made 0700 and the file 0600: only its owner reads it.
 */
export async function ensureKey(identityFile: string, signal?: AbortSignal): Promise<AgeKey> {
  await ensureAge(signal);
  await mkdir(dirname(identityFile), { recursive: true, mode: 0o700 });
  let text = await readFile(identityFile, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (text === undefined) {
    // age-keygen writes the identity to stdout; the file is created by us with its mode, never world-readable for a moment.
    const { stdout } = await exec("age-keygen", [], { signal, hint: HINT });
    await writeFile(identityFile, stdout, { mode: 0o600, flag: "wx" });
    text = stdout;
  }
  await chmod(identityFile, 0o600);
  const recipient = RECIPIENT.exec(text)?.[1];
  if (!recipient) {
    const { stdout } = await exec("age-keygen", ["-y", identityFile], { signal, hint: HINT });
    return { identityFile, recipient: stdout.trim() };
  }
  return { identityFile, recipient };
}

/**
 * `age -r <recipient> -o <file>`: the plaintext into its stdin pipe (hand it
 * to the command that produces the plaintext, so the bytes go from that
 * process into age and from age to the file, through no other), the
 * encrypted file written by age itself.
 */
export function encryptToFile(recipient: string, file: string, signal?: AbortSignal): { stdin: Writable; done: Promise<void> } {
  return commandSink("age", ["-r", recipient, "-o", file], { hint: HINT, ...(signal ? { signal } : {}) });
}

/** `age -r <recipient>`: the plaintext stream in, the encrypted stream out. */
export function encrypt(plaintext: Readable, recipient: string, signal?: AbortSignal): CommandStream {
  return filterThrough("age", ["-r", recipient], plaintext, { hint: HINT, signal });
}

/**
 * `age -d -i <identity>`: an encrypted stream in, the plaintext out. A file
 * made for another key, or one that is truncated or altered, fails with
 * BACKUP_INVALID naming `file`. age authenticates its payload in 64 KiB
 * chunks, so a damaged file may yield some plaintext before it fails: only a
 * `done` that resolved means the whole plaintext was genuine.
 */
export function decrypt(ciphertext: Readable, key: AgeKey, file: string, signal?: AbortSignal): CommandStream {
  return filterThrough("age", ["-d", "-i", key.identityFile], ciphertext, {
    hint: HINT,
    signal,
    describe: (stderr, code) => (code === null ? undefined : decryptFailure(stderr, file)),
  });
}

/**
 * `age -d -i <identity> <file>`: as decrypt(), with age reading the file
 * itself. A restore's plaintext then passes through one process fewer on its
 * way to pg_restore (on a busy machine each hand-over of a pipe's 64 KiB
 * waits for a process to be scheduled; npm run bench -- dr).
 */
export function decryptFile(file: string, key: AgeKey, signal?: AbortSignal, into?: Writable): CommandStream {
  return filterThrough("age", ["-d", "-i", key.identityFile, "--", file], undefined, {
    hint: HINT,
    signal,
    ...(into ? { stdout: into } : {}),
    describe: (stderr, code) => (code === null ? undefined : decryptFailure(stderr, file)),
  });
}

/** What age's error lines mean for a backup file. */
export function decryptFailure(stderr: string, file: string): HarnessError {
  const line = stderr.split("\n").find((l) => l.includes("error:"))?.trim() ?? stderr.trim().split("\n").pop() ?? "";
  if (/no identity matched/i.test(stderr)) {
    return new HarnessError("BACKUP_INVALID", `backup ${file} was encrypted for another key: this run's key cannot decrypt it (${line})`, {
      hint: "a backup decrypts only with the key of the run that took it (.state/keys/<run-id>.txt); restore from that run's store, or from a backup this run took",
    });
  }
  if (/failed to open input file/i.test(stderr)) {
    return new HarnessError("BACKUP_INVALID", `backup ${file} cannot be read (${line})`, { hint: "the store's index names a file that is not there, or not readable; restore from another backup" });
  }
  return new HarnessError("BACKUP_INVALID", `backup ${file} cannot be decrypted: it is truncated or damaged (${line || "age failed"})`, {
    hint: "the file no longer matches what was written; restore from an earlier backup (newestValid() picks the newest one that verifies)",
  });
}
