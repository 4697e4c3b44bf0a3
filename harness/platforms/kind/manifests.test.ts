import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { V1Container, V1Deployment, V1NetworkPolicy, V1PodDisruptionBudget, V1Probe, V1ReplicaSet, V1Service, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { HarnessError } from "../../common/errors.js";
import { ROOT } from "../../common/paths.js";
import { APP_CONTAINER, LAME_DUCK, LAME_DUCK_ENV, appObjects, componentObjects, databaseSecret, K8S_LABEL, metricsPortOf, scaleProbe, type AppOptions } from "./manifests.js";
import { previousTemplate, summarizeDeployment } from "./deployment-reading.js";

/** The document's base overlay as kustomize renders it: its Deployment and its Service. */
function baseRendered(): unknown[] {
  return ["deployment.yaml", "service.yaml"].map((f) => parse(readFileSync(join(ROOT, "k8s", "base", f), "utf8")) as unknown);
}

/** The production overlay's rendering: k8s/environments/production/deployment-patch.yaml and its label applied to the base. */
function productionRendered(): unknown[] {
  const [deployment, service] = baseRendered() as [V1Deployment, V1Service];
  const env = { environment: "production" };
  deployment.metadata!.labels = { ...deployment.metadata!.labels, ...env };
  deployment.spec!.selector.matchLabels = { ...deployment.spec!.selector.matchLabels, ...env };
  deployment.spec!.template.metadata!.labels = { ...deployment.spec!.template.metadata!.labels, ...env };
  const api = deployment.spec!.template.spec!.containers[0]!;
  api.env = [...(api.env ?? []), { name: "APP_ENVIRONMENT", value: "production" }];
  api.resources = { limits: { cpu: "2000m", memory: "4Gi" }, requests: { cpu: "50m", memory: "64Mi" } };
  service.metadata!.labels = { ...service.metadata!.labels, ...env };
  service.spec!.selector = { ...service.spec!.selector, ...env };
  return [deployment, service];
}

function options(overrides: Partial<AppOptions> = {}): AppOptions {
  return {
    namespace: "gameday-run-1",
    runId: "run-1",
    role: "stable",
    version: "good-1",
    imageRef: "deploy-gameday/app:good-1-abc123",
    replicas: 2,
    env: {},
    database: true,
    scale: 1,
    ...overrides,
  };
}

function apiContainer(d: V1Deployment): V1Container {
  const c = d.spec!.template.spec!.containers.find((x) => x.name === APP_CONTAINER);
  expect(c).toBeDefined();
  return c!;
}

function thrown(f: () => unknown): HarnessError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HarnessError);
  return caught as HarnessError;
}

describe("appObjects", () => {
  it("names the Deployment and Service after the document's with the role as suffix, in the run's namespace", () => {
    const { deployment, service } = appObjects(baseRendered(), "k8s/base", options({ role: "candidate" }));
    expect(deployment.metadata?.name).toBe("agi-eval-sandbox-candidate");
    expect(service.metadata?.name).toBe("agi-eval-sandbox-candidate");
    expect(deployment.metadata?.namespace).toBe("gameday-run-1");
    expect(service.metadata?.namespace).toBe("gameday-run-1");
    expect(deployment.kind).toBe("Deployment");
    expect(service.kind).toBe("Service");
  });

  it("labels the objects with the run and the role, keeping the document's labels", () => {
    const { deployment, service } = appObjects(baseRendered(), "k8s/base", options());
    const labels = { app: "agi-eval-sandbox", [K8S_LABEL.runId]: "run-1", [K8S_LABEL.role]: "stable" };
    expect(deployment.metadata?.labels).toEqual(labels);
    expect(service.metadata?.labels).toEqual(labels);
  });

  it("selects by the role label, in the Deployment's selector, its template and the Service", () => {
    const { deployment, service } = appObjects(baseRendered(), "k8s/base", options());
    const selector = { app: "agi-eval-sandbox", [K8S_LABEL.role]: "stable" };
    expect(deployment.spec?.selector.matchLabels).toEqual(selector);
    expect(service.spec?.selector).toEqual(selector);
    const templateLabels = deployment.spec?.template.metadata?.labels ?? {};
    expect(templateLabels).toMatchObject(selector);
    // Every label the selector asks for is on the pods, or the API server rejects the Deployment.
    for (const [k, v] of Object.entries(deployment.spec!.selector.matchLabels!)) expect(templateLabels[k]).toBe(v);
  });

  it("keeps the overlay's own labels in the selector and on the pods", () => {
    const { deployment, service } = appObjects(productionRendered(), "k8s/environments/production", options());
    expect(deployment.spec?.selector.matchLabels).toEqual({ app: "agi-eval-sandbox", environment: "production", [K8S_LABEL.role]: "stable" });
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ environment: "production", [K8S_LABEL.role]: "stable" });
    expect(service.spec?.selector).toEqual({ app: "agi-eval-sandbox", environment: "production", [K8S_LABEL.role]: "stable" });
  });

  it("labels the pod template with the run and the version", () => {
    const { deployment } = appObjects(baseRendered(), "k8s/base", options({ version: "crashing-1" }));
    expect(deployment.spec?.template.metadata?.labels).toEqual({
      app: "agi-eval-sandbox",
      [K8S_LABEL.role]: "stable",
      [K8S_LABEL.runId]: "run-1",
      [K8S_LABEL.version]: "crashing-1",
    });
  });

  it("takes its replicas from the options, not the document", () => {
    expect(appObjects(baseRendered(), "k8s/base", options({ replicas: 1 })).deployment.spec?.replicas).toBe(1);
    expect(appObjects(productionRendered(), "k8s/environments/production", options({ replicas: 3 })).deployment.spec?.replicas).toBe(3);
  });

  it("runs the given image, loaded into the cluster and never pulled", () => {
    const api = apiContainer(appObjects(baseRendered(), "k8s/base", options({ imageRef: "deploy-gameday/app:good-2-def456" })).deployment);
    expect(api.image).toBe("deploy-gameday/app:good-2-def456");
    expect(api.imagePullPolicy).toBe("Never");
  });

  const LAME_DUCK_VARS = Object.entries(LAME_DUCK_ENV).map(([name, value]) => ({ name, value }));

  it("keeps DATABASE_URL from the secret when the scenario has a database", () => {
    const api = apiContainer(appObjects(baseRendered(), "k8s/base", options({ database: true })).deployment);
    expect(api.env).toEqual([{ name: "METRICS_PORT", value: "9090" }, { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "database-secret", key: "url" } } }, ...LAME_DUCK_VARS]);
  });

  it("drops DATABASE_URL when the scenario runs without a database, and only it", () => {
    const api = apiContainer(appObjects(productionRendered(), "k8s/environments/production", options({ database: false })).deployment);
    expect(api.env).toEqual([{ name: "METRICS_PORT", value: "9090" }, { name: "APP_ENVIRONMENT", value: "production" }, ...LAME_DUCK_VARS]);
  });

  it("appends the fault knobs after the document's environment", () => {
    const api = apiContainer(
      appObjects(productionRendered(), "k8s/environments/production", options({ env: { FAULT_ERROR_RATE: "0.5", FAULT_LATENCY_MS: "200" } })).deployment,
    );
    expect(api.env?.map((e) => e.name)).toEqual(["METRICS_PORT", "DATABASE_URL", "APP_ENVIRONMENT", "SHUTDOWN_DELAY_MS", "SHUTDOWN_QUIET_MS", "SHUTDOWN_MAX_MS", "FAULT_ERROR_RATE", "FAULT_LATENCY_MS"]);
    expect(api.env?.slice(6)).toEqual([
      { name: "FAULT_ERROR_RATE", value: "0.5" },
      { name: "FAULT_LATENCY_MS", value: "200" },
    ]);
  });

  it("keeps the overlay's resources and the document's ports: the application's, and network-policies.yml's metrics port", () => {
    const { deployment } = appObjects(productionRendered(), "k8s/environments/production", options());
    const api = apiContainer(deployment);
    expect(api.resources).toEqual({ limits: { cpu: "2000m", memory: "4Gi" }, requests: { cpu: "50m", memory: "64Mi" } });
    expect(api.ports).toEqual([
      { containerPort: 8000, name: "http" },
      { containerPort: 9090, name: "metrics" },
    ]);
    expect(metricsPortOf(deployment)).toBe(9090);
  });

  it("aims the production overlay's autoscaler at the role's Deployment, its windows and periods scaled with the run (Kubernetes' defaults filled in)", () => {
    const hpa = parse(readFileSync(join(ROOT, "k8s/environments/production/hpa.yaml"), "utf8")) as V2HorizontalPodAutoscaler;
    const { deployment, autoscaler } = appObjects([...productionRendered(), hpa], "k8s/environments/production", options({ scale: 0.1, autoscale: true }));
    expect(autoscaler!.metadata).toMatchObject({ name: deployment.metadata!.name, namespace: "gameday-run-1", labels: { [K8S_LABEL.runId]: "run-1", [K8S_LABEL.role]: "stable" } });
    expect(autoscaler!.spec!.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "agi-eval-sandbox-stable" });
    expect([autoscaler!.spec!.minReplicas, autoscaler!.spec!.maxReplicas]).toEqual([3, 10]);
    expect(autoscaler!.spec!.metrics!.map((m) => [m.resource!.name, m.resource!.target.averageUtilization])).toEqual([
      ["cpu", 70],
      ["memory", 80],
    ]);
    // 300 s of scale-down stabilization is 30 s at 0.1; 15 s periods 2 s (never below 1 s); scale-up waits for nothing.
    expect(autoscaler!.spec!.behavior!.scaleDown).toMatchObject({ stabilizationWindowSeconds: 30, policies: [{ type: "Percent", value: 100, periodSeconds: 2 }] });
    expect(autoscaler!.spec!.behavior!.scaleUp).toMatchObject({ stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 2 }, { type: "Pods", value: 4, periodSeconds: 2 }] });
    expect(appObjects([...productionRendered(), hpa], "k8s/environments/production", options({ scale: 1, autoscale: true })).autoscaler!.spec!.behavior!.scaleDown!.stabilizationWindowSeconds).toBe(300);
    // A scenario that fixes the replicas gets none.
    expect(appObjects([...productionRendered(), hpa], "k8s/environments/production", options({ autoscale: false })).autoscaler).toBeUndefined();
  });

  it("aims the production overlay's PodDisruptionBudget and its spread over nodes at the role's own pods", () => {
    const pdb = parse(readFileSync(join(ROOT, "k8s/environments/production/pdb.yaml"), "utf8")) as V1PodDisruptionBudget;
    const rendered = productionRendered();
    const patch = parse(readFileSync(join(ROOT, "k8s/environments/production/deployment-patch.yaml"), "utf8")) as V1Deployment;
    (rendered[0] as V1Deployment).spec!.template.spec!.topologySpreadConstraints = patch.spec!.template.spec!.topologySpreadConstraints!;
    const { deployment, disruptionBudget } = appObjects([...rendered, pdb], "k8s/environments/production", options({ replicas: 3 }));
    const role = deployment.spec!.selector.matchLabels;
    expect(disruptionBudget!.metadata).toMatchObject({ name: "agi-eval-sandbox-stable", namespace: "gameday-run-1", labels: { [K8S_LABEL.runId]: "run-1", [K8S_LABEL.role]: "stable" } });
    expect(disruptionBudget!.spec).toEqual({ minAvailable: 2, selector: { matchLabels: role } });
    expect(deployment.spec!.template.spec!.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: role } },
    ]);
    // The base has neither.
    const base = appObjects(baseRendered(), "k8s/base", options());
    expect(base.disruptionBudget).toBeUndefined();
    expect(base.deployment.spec!.template.spec!.topologySpreadConstraints).toBeUndefined();
  });

  it("takes the overlay's NetworkPolicies into the run's namespace, labelled with the run, their rules untouched", () => {
    const policy = parse(readFileSync(join(ROOT, "k8s/components/network-policies/network-policy.yaml"), "utf8")) as V1NetworkPolicy;
    const { networkPolicies } = appObjects([...productionRendered(), policy], "k8s/environments/production", options());
    expect(networkPolicies).toHaveLength(1);
    expect(networkPolicies[0]!.metadata).toEqual({ name: "agi-eval-sandbox", namespace: "gameday-run-1", labels: { app: "agi-eval-sandbox", [K8S_LABEL.runId]: "run-1" } });
    expect(networkPolicies[0]!.spec).toEqual(policy.spec);
    expect(appObjects(baseRendered(), "k8s/base", options()).networkPolicies).toEqual([]);
  });

  it("keeps the Service's ports", () => {
    const { service } = appObjects(baseRendered(), "k8s/base", options());
    expect(service.spec?.ports).toEqual([{ name: "http", port: 80, targetPort: 8000 }]);
  });

  it("lets a stopping pod serve as a lame duck until its endpoints are gone, within its grace period", () => {
    const pod = appObjects(baseRendered(), "k8s/base", options()).deployment.spec!.template.spec!;
    const env = Object.fromEntries(pod.containers[0]!.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ SHUTDOWN_DELAY_MS: String(LAME_DUCK.minMs), SHUTDOWN_QUIET_MS: String(LAME_DUCK.quietMs), SHUTDOWN_MAX_MS: String(LAME_DUCK.maxMs) });
    // The kubelet's SIGKILL comes after the longest lame duck and the app's own close deadline.
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(LAME_DUCK.maxMs + 5000);
  });

  describe("probe timings", () => {
    it("at scale 1 keeps the document's timings and makes Kubernetes' defaults explicit", () => {
      const api = apiContainer(appObjects(baseRendered(), "k8s/base", options({ scale: 1 })).deployment);
      expect(api.livenessProbe).toEqual({ httpGet: { path: "/health", port: 8000 }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 });
      expect(api.readinessProbe).toEqual({ httpGet: { path: "/ready", port: 8000 }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 });
    });

    it("at scale 0.1 scales delays and periods to whole seconds", () => {
      const api = apiContainer(appObjects(baseRendered(), "k8s/base", options({ scale: 0.1 })).deployment);
      expect(api.livenessProbe).toMatchObject({ initialDelaySeconds: 3, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 });
      // 5 s * 0.1 = 0.5 s, rounded to 1.
      expect(api.readinessProbe).toMatchObject({ initialDelaySeconds: 1, periodSeconds: 1 });
    });

    it("at scale 0.01 never lets a period drop below one second", () => {
      const api = apiContainer(appObjects(baseRendered(), "k8s/base", options({ scale: 0.01 })).deployment);
      expect(api.livenessProbe).toMatchObject({ initialDelaySeconds: 0, periodSeconds: 1 });
      expect(api.readinessProbe).toMatchObject({ initialDelaySeconds: 0, periodSeconds: 1 });
    });
  });

  it("does not change the rendered documents it was given", () => {
    const rendered = productionRendered();
    const before = structuredClone(rendered);
    const { deployment, service } = appObjects(rendered, "k8s/environments/production", options({ database: false, env: { FAULT_ERROR_RATE: "1" }, scale: 0.1 }));
    expect(rendered).toEqual(before);
    // And two roles from the same rendering do not share objects.
    const other = appObjects(rendered, "k8s/environments/production", options({ role: "candidate", imageRef: "deploy-gameday/app:good-2" }));
    expect(apiContainer(deployment).image).toBe("deploy-gameday/app:good-1-abc123");
    expect(apiContainer(other.deployment).image).toBe("deploy-gameday/app:good-2");
    expect(service.spec?.selector?.[K8S_LABEL.role]).toBe("stable");
    expect(other.service.spec?.selector?.[K8S_LABEL.role]).toBe("candidate");
  });

  it("points at the api container even when it is not the first", () => {
    const [deployment, service] = baseRendered() as [V1Deployment, V1Service];
    deployment.spec!.template.spec!.containers.unshift({ name: "sidecar", image: "busybox" });
    const out = appObjects([deployment, service], "k8s/base", options());
    const [sidecar, api] = out.deployment.spec!.template.spec!.containers;
    expect(sidecar).toEqual({ name: "sidecar", image: "busybox" });
    expect(api?.image).toBe("deploy-gameday/app:good-1-abc123");
  });

  it("rejects a rendering with two Deployments or none", () => {
    const [deployment, service] = baseRendered();
    const two = thrown(() => appObjects([deployment, structuredClone(deployment), service], "k8s/environments/odd", options()));
    expect(two.code).toBe("SPEC_INVALID");
    expect(two.message).toBe("k8s/environments/odd renders 2 Deployment objects; the kind platform needs exactly one");
    const none = thrown(() => appObjects([service], "k8s/environments/odd", options()));
    expect(none.code).toBe("SPEC_INVALID");
    expect(none.message).toContain("renders 0 Deployment objects");
  });

  it("rejects a rendering without exactly one Service", () => {
    const [deployment] = baseRendered();
    expect(thrown(() => appObjects([deployment, null], "k8s/base", options())).code).toBe("SPEC_INVALID");
  });
});

describe("scaleProbe", () => {
  const probe: V1Probe = { httpGet: { path: "/health", port: 8000 }, initialDelaySeconds: 30 };

  it("fills in Kubernetes' defaults for what the probe leaves unset", () => {
    expect(scaleProbe(probe, 1)).toEqual({ httpGet: { path: "/health", port: 8000 }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 });
    expect(scaleProbe({ httpGet: { path: "/ready", port: 8000 } }, 1)).toMatchObject({ initialDelaySeconds: 0, periodSeconds: 10 });
  });

  it("keeps explicit thresholds and timeouts, which are not scaled", () => {
    const scaled = scaleProbe({ ...probe, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 2 }, 0.1);
    expect(scaled).toEqual({ httpGet: { path: "/health", port: 8000 }, initialDelaySeconds: 3, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 2 });
  });

  it("rounds to whole seconds, periods never below one, delays never below zero", () => {
    expect(scaleProbe(probe, 0.05)).toMatchObject({ initialDelaySeconds: 2, periodSeconds: 1 });
    expect(scaleProbe(probe, 0.001)).toMatchObject({ initialDelaySeconds: 0, periodSeconds: 1 });
    expect(scaleProbe({ ...probe, periodSeconds: 15 }, 0.1)).toMatchObject({ periodSeconds: 2 });
  });

  it("scales up as well as down", () => {
    expect(scaleProbe(probe, 2)).toMatchObject({ initialDelaySeconds: 60, periodSeconds: 20 });
  });

  it("does not change the probe it was given", () => {
    const given = structuredClone(probe);
    scaleProbe(given, 0.1);
    expect(given).toEqual(probe);
  });

  it("rejects a scale that is not positive", () => {
    expect(thrown(() => scaleProbe(probe, 0)).code).toBe("USAGE");
  });
});

describe("componentObjects", () => {
  const objects = componentObjects({
    namespace: "gameday-run-1",
    runId: "run-1",
    role: "router",
    part: "load-balancer",
    imageRef: "deploy-gameday/haproxy:2.6",
    files: [
      { path: "/usr/local/etc/haproxy/haproxy.cfg", content: "global\n" },
      { path: "/etc/extra/haproxy.cfg", content: "defaults\n" },
      { path: "/etc/prometheus/prometheus.yml", content: "scrape_configs: []\n" },
    ],
    ports: [8080, 9999],
    nodePorts: new Map([
      [8080, 30080],
      [9999, 30999],
    ]),
    onControlPlane: true,
    ready: { port: 8405, path: "/metrics" },
  });
  const labels = { [K8S_LABEL.runId]: "run-1", [K8S_LABEL.role]: "router" };
  const container = objects.deployment.spec!.template.spec!.containers[0]!;

  it("puts every file in a ConfigMap under its own key, even files with the same name", () => {
    expect(objects.configMap.metadata).toEqual({ name: "router-files", namespace: "gameday-run-1", labels });
    expect(objects.configMap.data).toEqual({ "0-haproxy.cfg": "global\n", "1-haproxy.cfg": "defaults\n", "2-prometheus.yml": "scrape_configs: []\n" });
  });

  it("mounts each file at its path from its key", () => {
    expect(container.volumeMounts).toEqual([
      { name: "files", mountPath: "/usr/local/etc/haproxy/haproxy.cfg", subPath: "0-haproxy.cfg" },
      { name: "files", mountPath: "/etc/extra/haproxy.cfg", subPath: "1-haproxy.cfg" },
      { name: "files", mountPath: "/etc/prometheus/prometheus.yml", subPath: "2-prometheus.yml" },
    ]);
    expect(objects.deployment.spec?.template.spec?.volumes).toEqual([{ name: "files", configMap: { name: "router-files" } }]);
    // Every subPath is a key of the ConfigMap.
    for (const m of container.volumeMounts!) expect(Object.keys(objects.configMap.data!)).toContain(m.subPath);
  });

  it("runs one pod of the image, never pulled, exposing each container port", () => {
    expect(objects.deployment.metadata).toEqual({ name: "router", namespace: "gameday-run-1", labels });
    expect(objects.deployment.spec?.replicas).toBe(1);
    expect(container.name).toBe("router");
    expect(container.image).toBe("deploy-gameday/haproxy:2.6");
    expect(container.imagePullPolicy).toBe("Never");
    expect(container.ports).toEqual([{ containerPort: 8080 }, { containerPort: 9999 }]);
  });

  it("is ready when the ready path answers on the ready port", () => {
    expect(container.readinessProbe).toEqual({ httpGet: { path: "/metrics", port: 8405 }, periodSeconds: 1 });
  });

  it("publishes each container port on its NodePort", () => {
    expect(objects.service.metadata).toEqual({ name: "router", namespace: "gameday-run-1", labels });
    expect(objects.service.spec?.type).toBe("NodePort");
    expect(objects.service.spec?.ports).toEqual([
      { name: "p8080", port: 8080, targetPort: 8080, nodePort: 30080 },
      { name: "p9999", port: 9999, targetPort: 9999, nodePort: 30999 },
    ]);
  });

  it("on a cluster the harness was pointed at: a ClusterIP Service, the pod scheduled where the cluster puts it, its image pulled by digest once", () => {
    const external = componentObjects({
      namespace: "gameday-run-1",
      runId: "run-1",
      role: "router",
      part: "load-balancer",
      imageRef: "localhost:5001/gameday/haproxy@sha256:" + "a".repeat(64),
      files: [],
      ports: [8080, 9999],
      onControlPlane: false,
      ready: { port: 8405, path: "/metrics" },
    });
    expect(external.service.spec?.type).toBe("ClusterIP");
    expect(external.service.spec?.ports).toEqual([
      { name: "p8080", port: 8080, targetPort: 8080 },
      { name: "p9999", port: 9999, targetPort: 9999 },
    ]);
    const spec = external.deployment.spec!.template.spec!;
    expect(spec.nodeSelector).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
    expect(spec.containers[0]!.imagePullPolicy).toBe("IfNotPresent");
    expect(objects.deployment.spec!.template.spec!.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "" });
  });

  it("selects its pod by the run and role labels; the pod says what it is to the service's network policy", () => {
    expect(objects.deployment.spec?.selector.matchLabels).toEqual(labels);
    expect(objects.deployment.spec?.template.metadata?.labels).toEqual({ ...labels, "app.kubernetes.io/component": "load-balancer" });
    expect(objects.service.spec?.selector).toEqual(labels);
  });
});

describe("previousTemplate", () => {
  const REVISION = "deployment.kubernetes.io/revision";
  const deployment: V1Deployment = {
    metadata: { name: "agi-eval-sandbox-stable", uid: "uid-deploy", annotations: { [REVISION]: "4" } },
    spec: { selector: { matchLabels: {} }, template: { spec: { containers: [] } } },
  };

  function replicaSet(revision: number, tag: string, owner = "uid-deploy", kind = "Deployment"): V1ReplicaSet {
    return {
      metadata: {
        name: `agi-eval-sandbox-stable-${tag}`,
        annotations: { [REVISION]: String(revision) },
        ownerReferences: [{ apiVersion: "apps/v1", kind, name: "agi-eval-sandbox-stable", uid: owner }],
      },
      spec: {
        selector: { matchLabels: {} },
        template: {
          metadata: { labels: { app: "agi-eval-sandbox", "pod-template-hash": `hash-${tag}`, [K8S_LABEL.version]: tag } },
          spec: { containers: [{ name: "api", image: `deploy-gameday/app:${tag}` }] },
        },
      },
    };
  }

  it("picks the newest revision before the current one, without its pod-template-hash", () => {
    const sets = [replicaSet(1, "good-1"), replicaSet(3, "good-2"), replicaSet(4, "crashing-1"), replicaSet(2, "slow-1")];
    const { revision, template } = previousTemplate(deployment, sets);
    expect(revision).toBe(3);
    expect(template.metadata?.labels).toEqual({ app: "agi-eval-sandbox", [K8S_LABEL.version]: "good-2" });
    expect(template.spec?.containers[0]?.image).toBe("deploy-gameday/app:good-2");
  });

  it("does not change the ReplicaSet it copied from", () => {
    const sets = [replicaSet(3, "good-2")];
    previousTemplate(deployment, sets);
    expect(sets[0]!.spec?.template?.metadata?.labels?.["pod-template-hash"]).toBe("hash-good-2");
  });

  it("ignores ReplicaSets the Deployment does not own", () => {
    const sets = [
      replicaSet(1, "good-1"),
      replicaSet(3, "other-owner", "uid-someone-else"),
      replicaSet(3, "not-a-deployment", "uid-deploy", "StatefulSet"),
      { ...replicaSet(3, "orphan"), metadata: { ...replicaSet(3, "orphan").metadata, ownerReferences: undefined } },
    ];
    const { revision, template } = previousTemplate(deployment, sets);
    expect(revision).toBe(1);
    expect(template.spec?.containers[0]?.image).toBe("deploy-gameday/app:good-1");
  });

  it("never picks a revision at or after the current one", () => {
    const { revision } = previousTemplate(deployment, [replicaSet(5, "future"), replicaSet(4, "current"), replicaSet(2, "good-1")]);
    expect(revision).toBe(2);
  });

  it("fails with ROLLOUT_FAILED and a hint when there is no earlier revision", () => {
    const error = thrown(() => previousTemplate(deployment, [replicaSet(4, "current"), replicaSet(2, "theirs", "uid-someone-else")]));
    expect(error.code).toBe("ROLLOUT_FAILED");
    expect(error.message).toBe("deployment agi-eval-sandbox-stable has no revision before 4 to roll back to");
    expect(error.hint).toContain("rollout step before the rollout-undo step");
    expect(thrown(() => previousTemplate(deployment, [])).code).toBe("ROLLOUT_FAILED");
  });
});

describe("databaseSecret", () => {
  it("holds the URL under url in database-secret, which the document's Deployment reads", () => {
    const secret = databaseSecret("gameday-run-1", "run-1", "postgres://gameday:secret@db:5432/app");
    expect(secret).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "database-secret", namespace: "gameday-run-1", labels: { [K8S_LABEL.runId]: "run-1" } },
      stringData: { url: "postgres://gameday:secret@db:5432/app" },
    });
    // The name and key the base Deployment's secretKeyRef points at.
    const api = apiContainer(appObjects(baseRendered(), "k8s/base", options()).deployment);
    const ref = api.env?.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef;
    expect(ref?.name).toBe(secret.metadata?.name);
    expect(Object.keys(secret.stringData ?? {})).toContain(ref?.key);
  });
});

describe("summarizeDeployment", () => {
  it("summarizes the app container's replicas, image, resources and probes", () => {
    const { deployment } = appObjects(productionRendered(), "k8s/environments/production", options({ replicas: 3, scale: 0.1 }));
    const summary = summarizeDeployment({ ...deployment, status: { readyReplicas: 2 } });
    expect(summary).toEqual({
      name: "agi-eval-sandbox-stable",
      replicas: 3,
      readyReplicas: 2,
      image: "deploy-gameday/app:good-1-abc123",
      limits: { cpu: "2000m", memory: "4Gi" },
      requests: { cpu: "50m", memory: "64Mi" },
      liveness: { path: "/health", port: 8000, initialDelaySeconds: 3, periodSeconds: 1 },
      readiness: { path: "/ready", port: 8000, initialDelaySeconds: 1, periodSeconds: 1 },
      // performance-config.yml: readiness_timeout 300 s at scale 0.1 is 30 s, max_concurrent_pods the surge.
      progressDeadlineSeconds: 30,
      maxSurge: 5,
      maxUnavailable: 0,
      // The document's access_control: rbac: an identity of its own, no API token in the pod.
      serviceAccount: "agi-eval-sandbox",
      automountToken: false,
    });
  });

  it("scales the progress deadline with the run, never below 30 s", () => {
    expect([1, 0.5, 0.1, 0.01].map((scale) => appObjects(productionRendered(), "k8s/environments/production", options({ scale })).deployment.spec?.progressDeadlineSeconds)).toEqual([300, 150, 30, 30]);
  });

  it("reports no probes, no resources and no ready replicas when there are none", () => {
    const summary = summarizeDeployment({ metadata: { name: "bare" }, spec: { selector: {}, template: { spec: { containers: [{ name: "x", image: "busybox" }] } } } });
    expect(summary).toEqual({ name: "bare", replicas: 1, readyReplicas: 0, image: "busybox", limits: {}, requests: {}, liveness: null, readiness: null, serviceAccount: "default", automountToken: true });
  });
});
