import type { ApprovalSpec } from "../document/deployment-types.js";

/**
 * The deployment approval gate as the document's approval-matrix.yml has it:
 * an environment that requires approval needs `minimum_approvals` of them,
 * each from a different person in one of the listed groups, for this release,
 * given before its deployment started. Development and staging require none.
 * Every approval not counted is kept with the reason, for the run's events
 * and its report.
 */

/** One approval, as `npm run approve` records it or a scenario lists it. */
export interface Approval {
  release: string;
  by: string;
  group: string;
  /** ISO time it was given. */
  at: string;
  comment?: string;
  /** The environment it approves (npm run approve --environment); any that requires approval when absent. */
  environment?: string;
  /** Where it came from: the audit trail (npm run approve) or the scenario file. */
  source?: "trail" | "scenario";
}

/** Why an approval does not count, for expectations to name. */
export const REFUSAL_CODES = ["other-release", "other-environment", "outside-groups", "after-start", "same-person"] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface GateDecision {
  environment: string;
  release: string;
  required: boolean;
  granted: boolean;
  /** The approvals that count, one per person. */
  counted: Approval[];
  /** The approvals that do not, each with why. */
  refused: Array<{ approval: Approval; code: RefusalCode; reason: string }>;
  /** Why the gate is closed, or what opened it. */
  reason: string;
}

export function judgeApprovals(
  spec: ApprovalSpec | undefined,
  o: { environment: string; release: string; deploymentStartedAt: Date; approvals: readonly Approval[] },
): GateDecision {
  const base = { environment: o.environment, release: o.release };
  if (!spec?.required) return { ...base, required: false, granted: true, counted: [], refused: [], reason: `${o.environment} requires no approval (approval-matrix.yml)` };
  const started = o.deploymentStartedAt.toISOString();
  const counted: Approval[] = [];
  const refused: GateDecision["refused"] = [];
  for (const a of [...o.approvals].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0))) {
    const refusal: [RefusalCode, string] | undefined =
      a.release !== o.release
        ? ["other-release", `it approves release ${a.release}, not ${o.release}`]
        : a.environment !== undefined && a.environment !== o.environment
          ? ["other-environment", `it approves ${a.environment}, not ${o.environment}`]
          : !spec.approvers.includes(a.group)
            ? ["outside-groups", `${a.by}'s group ${a.group} is not one of the approver groups (${spec.approvers.join(", ")})`]
            : !(a.at <= started)
              ? ["after-start", `it was given at ${a.at}, after the deployment started at ${started}`]
              : counted.some((c) => c.by === a.by)
                ? ["same-person", `${a.by} approved already: a second approval from the same person does not count`]
                : undefined;
    if (refusal) refused.push({ approval: a, code: refusal[0], reason: refusal[1] });
    else counted.push(a);
  }
  const granted = counted.length >= spec.minimumApprovals;
  const who = counted.map((c) => `${c.by} (${c.group})`).join(", ");
  const reason = granted
    ? `approved by ${who}: ${counted.length} of the ${spec.minimumApprovals} required`
    : `${counted.length} of the ${spec.minimumApprovals} approvals required from ${spec.approvers.join(" or ")}${counted.length ? ` (counted: ${who})` : ""}${refused.length ? `; not counted: ${refused.map((r) => r.reason).join("; ")}` : ""}`;
  return { ...base, required: true, granted, counted, refused, reason };
}

/** The approvals recorded in the audit trail (`npm run approve`), oldest first. */
export function recordedApprovals(records: ReadonlyArray<{ type: string; at: string; body?: Record<string, unknown>; pruned: boolean }>): Approval[] {
  return records
    .filter((r) => r.type === "approval" && !r.pruned && r.body)
    .map((r) => {
      const b = r.body!;
      return {
        release: String(b.release),
        by: String(b.by),
        group: String(b.group),
        at: r.at,
        ...(typeof b.comment === "string" ? { comment: b.comment } : {}),
        ...(typeof b.environment === "string" ? { environment: b.environment } : {}),
        source: "trail" as const,
      };
    });
}
