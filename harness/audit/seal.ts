import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { HarnessError } from "../common/errors.js";

/**
 * Deployment logs are encrypted at rest (audit-requirements.yml): each
 * record's content is sealed with AES-256-GCM under the trail's key, a file
 * of 32 random bytes only its owner can read, made on first use. The hash
 * chain covers the sealed text, so the trail verifies without the key; only
 * reading the content needs it.
 */
export class AuditKey {
  private constructor(private readonly key: Buffer) {}

  /** The key in `file`, made there (mode 0600) when there is none. */
  static atFile(file: string): AuditKey {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
    }
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new HarnessError("AUDIT_INVALID", `${file} does not hold an audit key (32 bytes in base64)`, { hint: "restore the key from your backup; a new key cannot read what the old one sealed" });
    return new AuditKey(key);
  }

  seal(body: Record<string, unknown>): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    const text = Buffer.concat([cipher.update(JSON.stringify(body), "utf8"), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), text]).toString("base64");
  }

  open(sealed: string): Record<string, unknown> {
    const raw = Buffer.from(sealed, "base64");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new HarnessError("AUDIT_INVALID", "a sealed audit record does not open with this key", { hint: "the record was sealed under another key (GAMEDAY_AUDIT_KEY names the key file)", cause: e });
    }
  }
}
