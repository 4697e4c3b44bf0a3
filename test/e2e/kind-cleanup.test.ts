// lane: kind (scripts/test.sh runs the kind files one after another, beside the Docker lane)
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../harness/common/clock.js";
import { clusterFiles } from "../../harness/platforms/kind/cluster.js";
import { cli, leftBy } from "./cli.js";
import { NewKindClusters } from "../support/kind-clusters.js";

// An interrupted kind run leaves no cluster, container or network behind: Ctrl-C runs the
// teardown and deletes the cluster; SIGKILL leaves it to the reapers started before the cluster.
const clusters = () => NewKindClusters.nodes();

async function interrupt(signal: NodeJS.Signals) {
  const before = await clusters();
  let sent = false;
  let pid = 0;
  const r = await cli(["scenario", "canary-fail", "--platform", "kind"], {
    onStdout: (text, child) => {
      pid = child.pid!;
      // Once the cluster, the database and a Deployment exist.
      if (!sent && /started stable deployment/.test(text)) {
        sent = true;
        child.kill(signal);
      }
    },
  });
  expect(sent, r.stdout).toBe(true);
  const created = /kind cluster (gameday-[0-9a-f]+) created/.exec(r.stdout)?.[1];
  expect(created, r.stdout).toBeDefined();
  // The cluster's files go too: its kubeconfig, and its EncryptionConfiguration with the key.
  await waitFor(async () => ((await clusters()).includes(created!) || (await leftBy(pid)).containers > 0 || clusterFiles(created!).some((f) => existsSync(f)) ? undefined : true), {
    description: `cluster ${created}, its files and the run's containers to be removed`,
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  expect((await clusters()).filter((c) => !before.includes(c))).toEqual([]);
  return r;
}

describe("interrupting a kind run", () => {
  it("Ctrl-C: exit 130, the teardown removes the namespace's database and deletes the cluster", async () => {
    const r = await interrupt("SIGINT");
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/deleting kind cluster gameday-[0-9a-f]{6}/);
  }, 240_000);

  it("SIGKILL: the reapers delete the cluster and the database container", async () => {
    const r = await interrupt("SIGKILL");
    expect(r.code).toBe(null);
  }, 240_000);
});
