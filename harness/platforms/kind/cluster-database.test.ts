import { describe, expect, it } from "vitest";
import { DB } from "../../model/database.js";
import { clusterDatabaseObjects } from "./cluster-database.js";
import { K8S_LABEL } from "./manifests.js";

describe("PostgreSQL in a cluster the harness was pointed at", () => {
  const ref = `localhost:5001/gameday/postgres@sha256:${"b".repeat(64)}`;
  const { service, statefulSet } = clusterDatabaseObjects({ namespace: "run-1-database", runId: "run-1", imageRef: ref, database: "agi_eval_prod" });
  const pod = statefulSet.spec!.template.spec!;
  const container = pod.containers[0]!;

  it("is one pod of a StatefulSet from the harness's postgres image, pulled once by digest, behind a Service on 5432", () => {
    expect(statefulSet.spec?.replicas).toBe(1);
    expect(statefulSet.spec?.serviceName).toBe(service.metadata?.name);
    expect(container.image).toBe(ref);
    expect(container.imagePullPolicy).toBe("IfNotPresent");
    expect(service.spec?.ports).toEqual([{ name: "postgres", port: DB.port, targetPort: DB.port }]);
    expect(service.spec?.selector).toEqual(statefulSet.spec?.selector.matchLabels);
    expect(statefulSet.spec?.template.metadata?.labels).toEqual({ [K8S_LABEL.runId]: "run-1", [K8S_LABEL.role]: "database" });
  });

  it("starts with the credentials the image's baked cluster has, for the run's database, and is ready when the server answers over TCP", () => {
    expect(container.env).toEqual([
      { name: "POSTGRES_USER", value: DB.user },
      { name: "POSTGRES_PASSWORD", value: DB.password },
      { name: "POSTGRES_DB", value: "agi_eval_prod" },
    ]);
    expect(container.readinessProbe?.exec?.command).toEqual(["pg_isready", "-h", "127.0.0.1", "-U", DB.user, "-d", "agi_eval_prod"]);
    expect(pod.automountServiceAccountToken).toBe(false);
    // The server's settings are those the other platforms' PostgreSQL has (testcontainers': fsync off).
    expect(container.args).toEqual(["postgres", "-c", "fsync=off"]);
  });
});
