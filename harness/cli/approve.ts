import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { recordedApprovals } from "../approvals/approvals.js";
import { AuditTrail } from "../audit/audit-trail.js";
import { ExitCode, HarnessError } from "../common/errors.js";
import { userDirectory } from "../common/paths.js";
import { loadDeploymentSpec } from "../document/deployment-spec.js";

/**
 * `npm run approve -- <release> --as <name> --group <group> [--comment ...]`:
 * records an approval in the audit trail, for a game day's approval gate. It
 * is recorded whatever it is; the gate judges it when the deployment starts
 * (approval-matrix.yml), and says here already what would not count.
 */
export async function approveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { as: { type: "string" }, group: { type: "string" }, comment: { type: "string" }, environment: { type: "string" }, file: { type: "string" } },
  });
  const usage = "npm run approve -- <release> --as <name> --group <group> [--comment TEXT] [--environment production]";
  const [release] = positionals;
  if (!release || positionals.length > 1) throw new HarnessError("USAGE", "name one release to approve (as a pipeline scenario names it under pipeline.release, e.g. v2.5.0)", { hint: usage });
  if (!values.as || !values.group) throw new HarnessError("USAGE", `an approval says who gives it: ${values.as ? "--group" : "--as"} is missing`, { hint: usage });
  const environment = values.environment ?? "production";
  const matrix = loadDeploymentSpec().approvals;
  const rule = matrix.get(environment);
  if (!rule) throw new HarnessError("USAGE", `no environment "${environment}" in the document's approval matrix`, { hint: `one of: ${[...matrix.keys()].join(", ")}` });
  const trail = new AuditTrail(values.file ? { file: resolve(userDirectory(), values.file) } : {});
  const earlier = recordedApprovals(trail.read()).filter((a) => a.release === release);
  const record = await trail.append({ type: "approval", body: { release, environment, by: values.as, group: values.group, ...(values.comment ? { comment: values.comment } : {}) } });
  console.log(`recorded: approval ${record.seq} of release ${release} for ${environment} by ${values.as} (${values.group}) at ${record.at}, in ${trail.file}`);
  if (!rule.required) console.log(`note: ${environment} requires no approval (approval-matrix.yml)`);
  else if (!rule.approvers.includes(values.group)) console.log(`warning: ${values.group} is not one of the approver groups for ${environment} (${rule.approvers.join(", ")}): the gate will not count it`);
  else if (earlier.some((a) => a.by === values.as)) console.log(`warning: ${values.as} approved ${release} already: the gate counts one approval per person`);
  const people = new Set([...earlier.filter((a) => rule.approvers.includes(a.group)).map((a) => a.by), ...(rule.approvers.includes(values.group) ? [values.as] : [])]);
  if (rule.required) console.log(`${release} has approvals from ${people.size} of the ${rule.minimumApprovals} people ${environment} requires (counted when its deployment starts)`);
  return ExitCode.held;
}
