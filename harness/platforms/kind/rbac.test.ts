import { describe, expect, it } from "vitest";
import { HARNESS_ACCOUNT, HARNESS_RULES, harnessIdentity, serviceAccountUser } from "./rbac.js";

describe("the harness's identity in a run's namespace (access_control: rbac)", () => {
  it("is a ServiceAccount with no token of its own mounted anywhere, a namespaced Role and the binding between them", () => {
    const { account, role, binding } = harnessIdentity("run-1", "run-1");
    expect(account).toMatchObject({ kind: "ServiceAccount", metadata: { name: HARNESS_ACCOUNT, namespace: "run-1" }, automountServiceAccountToken: false });
    expect(role).toMatchObject({ kind: "Role", metadata: { name: HARNESS_ACCOUNT, namespace: "run-1" } });
    expect(binding).toMatchObject({
      kind: "RoleBinding",
      metadata: { namespace: "run-1" },
      roleRef: { kind: "Role", name: HARNESS_ACCOUNT },
      subjects: [{ kind: "ServiceAccount", name: HARNESS_ACCOUNT, namespace: "run-1" }],
    });
    expect(serviceAccountUser("run-1", HARNESS_ACCOUNT)).toBe("system:serviceaccount:run-1:gameday-harness");
  });

  it("grants only named verbs on named resources: no wildcard, no escalation, no Secret listing, nothing cluster-wide", () => {
    for (const rule of HARNESS_RULES) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      expect(rule.apiGroups).not.toContain("*");
      for (const v of ["escalate", "bind", "impersonate"]) expect(rule.verbs).not.toContain(v);
    }
    const verbsOn = (resource: string) => HARNESS_RULES.filter((r) => r.resources?.includes(resource)).flatMap((r) => r.verbs);
    expect(verbsOn("secrets").sort()).toEqual(["create", "get", "patch", "update"]);
    expect(verbsOn("namespaces")).toEqual([]);
    expect(verbsOn("roles")).toEqual([]);
    expect(verbsOn("rolebindings")).toEqual([]);
    expect(verbsOn("nodes")).toEqual([]);
    // What the platform does: apply and roll Deployments, reach pods through the API server's proxy, save their logs.
    expect(verbsOn("deployments")).toEqual(expect.arrayContaining(["get", "patch", "update", "create", "watch"]));
    expect(verbsOn("pods/proxy")).toContain("get");
    expect(verbsOn("pods/log")).toEqual(["get"]);
    // The overlay's NetworkPolicies are applied and read back; never deleted (the namespace takes them).
    expect(verbsOn("networkpolicies").sort()).toEqual(["create", "get", "list", "patch"]);
  });

  it("binds the same Role in another namespace of the run to the account of the run's own", () => {
    const { role, binding } = harnessIdentity("run-1-monitoring", "run-1", "run-1");
    expect(role.metadata).toMatchObject({ namespace: "run-1-monitoring" });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: HARNESS_ACCOUNT, namespace: "run-1" }]);
  });
});
