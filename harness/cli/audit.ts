import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { AuditTrail } from "../audit/audit-trail.js";
import { AUDIT_TYPES, type AuditClass } from "../audit/chain.js";
import { ExitCode, HarnessError } from "../common/errors.js";
import { userDirectory } from "../common/paths.js";
import { loadDeploymentSpec } from "../document/deployment-spec.js";

/**
 * `npm run audit -- verify | show | prune`: the audit trail for people.
 * verify exits 0 when every record checks out and 1 naming the first that
 * does not; show lists the records (sealed ones opened with the trail's key);
 * prune applies the document's retention (audit-requirements.yml).
 */
export async function auditCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { file: { type: "string" }, output: { type: "string", short: "o" }, type: { type: "string" }, last: { type: "string" }, now: { type: "string" } },
  });
  const [action] = positionals;
  const json = values.output === "json";
  if (values.output !== undefined && values.output !== "json" && values.output !== "text") throw new HarnessError("USAGE", `-o must be json or text, got "${values.output}"`);
  const spec = loadDeploymentSpec();
  const sealed = new Set([...spec.audit].filter(([, a]) => a.flags.encryption).map(([c]) => c as AuditClass));
  const trail = new AuditTrail({ ...(values.file ? { file: resolve(userDirectory(), values.file) } : {}), sealed });
  switch (action) {
    case "verify": {
      const v = trail.verify();
      if (json) console.log(JSON.stringify({ file: trail.file, ...v }, null, 2));
      else if (v.ok) console.log(`${trail.file}: ${v.records} record(s) verify, head seq ${v.head.seq} ${v.head.chain.slice(0, 16)}…${v.torn ? " (a last record a crash cut short was left out)" : ""}`);
      else console.log(`${trail.file}: does NOT verify: line ${v.firstBad!.line}${v.firstBad!.seq !== undefined ? ` (seq ${v.firstBad!.seq})` : ""}: ${v.firstBad!.reason}; the ${v.records} record(s) before it verify`);
      return v.ok ? ExitCode.held : ExitCode.expectationFailed;
    }
    case "show": {
      const type = values.type;
      if (type !== undefined && !(AUDIT_TYPES as readonly string[]).includes(type)) throw new HarnessError("USAGE", `--type must be one of ${AUDIT_TYPES.join(", ")}, got "${type}"`);
      const last = values.last === undefined ? Infinity : Number(values.last);
      if (!(last > 0)) throw new HarnessError("USAGE", `--last must be a positive number, got "${values.last}"`);
      const records = trail.read().filter((r) => type === undefined || r.type === type).slice(-last);
      if (json) console.log(JSON.stringify(records, null, 2));
      else {
        if (records.length === 0) console.log(`${trail.file}: no records${type ? ` of type ${type}` : ""}`);
        for (const r of records) {
          const what = r.pruned ? "(content pruned: past its retention)" : r.body ? Object.entries(r.body).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ") : "";
          console.log(`${String(r.seq).padStart(6)}  ${r.at}  ${r.type.padEnd(10)}  ${what}${r.sealed ? "  [sealed at rest]" : ""}`);
        }
      }
      return ExitCode.held;
    }
    case "prune": {
      const now = values.now === undefined ? new Date() : new Date(values.now);
      if (Number.isNaN(now.getTime())) throw new HarnessError("USAGE", `--now must be an ISO time like 2027-01-01T00:00:00Z, got "${values.now}"`);
      const retention = Object.fromEntries([...spec.audit].map(([c, a]) => [c, a.retentionDays])) as Partial<Record<AuditClass, number>>;
      const done = await trail.prune(now, retention);
      if (json) console.log(JSON.stringify(done, null, 2));
      else console.log(`${trail.file}: ${done.dropped} record(s) past their retention pruned (${Object.entries(retention).map(([c, d]) => `${c} ${d} days`).join(", ")}); the trail now starts after seq ${done.checkpoint.seq} and still verifies`);
      return ExitCode.held;
    }
    default:
      throw new HarnessError("USAGE", action ? `unknown audit action "${action}"` : "name an audit action", { hint: "npm run audit -- verify | show [--type T] [--last N] | prune [--now ISO]  (each takes --file F and -o json)" });
  }
}
