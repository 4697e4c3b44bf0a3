import { KIND_CLUSTER_LABEL } from "../../harness/common/labels.js";
import { docker } from "../../harness/engine/docker.js";

/**
 * The kind clusters a test started, told apart from those there before it
 * (a developer's kept cluster): `new` lists them, `removeNew` deletes them
 * whatever happened (afterAll).
 */
export class NewKindClusters {
  private before: string[] = [];

  static async nodes(): Promise<string[]> {
    return (await docker().listContainers({ all: true, filters: { label: [KIND_CLUSTER_LABEL] } })).map((c) => c.Labels[KIND_CLUSTER_LABEL]!);
  }

  async remember(): Promise<void> {
    this.before = await NewKindClusters.nodes();
  }

  async new(): Promise<string[]> {
    return (await NewKindClusters.nodes()).filter((n) => !this.before.includes(n));
  }

  async removeNew(): Promise<void> {
    const { deleteCluster } = await import("../../harness/platforms/kind/cluster.js");
    for (const name of new Set(await this.new())) await deleteCluster(name);
  }
}
