import type { V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { autoscalerBounds, autoscalerStatus } from "./namespace-evidence.js";

const hpa = (status?: V2HorizontalPodAutoscaler["status"]): V2HorizontalPodAutoscaler => ({
  spec: {
    scaleTargetRef: { kind: "Deployment", name: "agi-eval-sandbox-stable" },
    minReplicas: 3,
    maxReplicas: 10,
    metrics: [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
    ],
  },
  ...(status ? { status } : {}),
});

describe("an autoscaler as the evidence has it", () => {
  it("reads its bounds, its counts and the pods' use against its targets from its status", () => {
    const status = {
      currentReplicas: 5,
      desiredReplicas: 7,
      currentMetrics: [
        { type: "Resource", resource: { name: "cpu", current: { averageUtilization: 150 } } },
        { type: "Resource", resource: { name: "memory", current: { averageUtilization: 31 } } },
      ],
    };
    expect(autoscalerStatus(hpa(status))).toEqual({ min: 3, max: 10, current: 5, desired: 7, cpu: 150, memory: 31, cpuTarget: 70, memoryTarget: 80 });
    expect(autoscalerBounds(hpa(status))).toEqual({ min: 3, max: 10, cpuTarget: 70, memoryTarget: 80 });
  });

  it("leaves out the use until metrics-server has the pods' figures", () => {
    expect(autoscalerStatus(hpa({ currentReplicas: 3, desiredReplicas: 3 }))).toEqual({ min: 3, max: 10, current: 3, desired: 3, cpuTarget: 70, memoryTarget: 80 });
    expect(autoscalerStatus(hpa())).toMatchObject({ current: 0, desired: 0 });
  });
});
