import { execFileSync } from "node:child_process";
import { freemem, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { ExitCode, HarnessError, errorMessage } from "../common/errors.js";
import { join } from "node:path";
import { ensureEngine, imageExists } from "../engine/docker.js";
import { ROOT } from "../common/paths.js";
import { ImageBuilder } from "../images/builder.js";

interface Check {
  what: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

function toolVersion(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 }).split("\n")[0]!.trim();
  } catch {
    return undefined;
  }
}

/** `npm run doctor [-- -o json]`: what this machine has, what is missing and how to get it. Starts and builds nothing. */
export async function doctorCommand(args: string[] = []): Promise<number> {
  const { values } = parseArgs({ args, options: { output: { type: "string", short: "o" } } });
  if (values.output !== undefined && values.output !== "json" && values.output !== "text") {
    throw new HarnessError("USAGE", `-o must be json or text, got "${values.output}"`, { hint: "-o json prints the checks as one JSON document" });
  }
  const checks: Check[] = [];
  const major = Number(process.versions.node.split(".")[0]);
  checks.push({ what: "Node.js", ok: major >= 20, detail: process.version, fix: "install Node.js 20 or newer" });
  let engineOk = false;
  try {
    const v = await ensureEngine();
    engineOk = true;
    checks.push({ what: "Docker engine", ok: true, detail: `${v.version} (API ${v.apiVersion})` });
  } catch (e) {
    checks.push({ what: "Docker engine", ok: false, detail: errorMessage(e), fix: "bash scripts/engine.sh (as root on Debian it installs and starts one)" });
  }
  const mm = toolVersion("mmdebstrap", ["--version"]);
  checks.push({ what: "mmdebstrap", ok: mm !== undefined, detail: mm ?? "not installed (needed only to build the base image)", fix: "bash scripts/tools.sh mmdebstrap" });
  const age = toolVersion("age", ["--version"]);
  checks.push({ what: "age", ok: age !== undefined, detail: age !== undefined ? `${age} (encrypts backups at rest)` : "not installed (encrypts disaster recovery backups; installed on first use as root)", fix: "bash scripts/tools.sh age" });
  // scripts/harness.sh puts .cache/tools/bin on PATH, where scripts/tools.sh builds it.
  const vegeta = toolVersion("vegeta", ["-version"]);
  checks.push({
    what: "vegeta",
    ok: vegeta !== undefined,
    detail: vegeta !== undefined ? `${vegeta.replace(/^Version:\s*/, "") || "built from source"} (load generator)` : "not built yet (the load generator)",
    fix: "bash scripts/tools.sh vegeta (go install github.com/tsenart/vegeta/v12@v12.13.0, cached in .cache/tools/bin)",
  });
  const go = toolVersion("go", ["version"]);
  checks.push({ what: "Go", ok: go !== undefined, detail: go ?? "not installed (needed to build vegeta, kind and the kind node image)", fix: "install Go from your distribution or go.dev" });
  const { kindBinary, NODE_IMAGE } = await import("../platforms/kind/cluster.js");
  const kind = toolVersion(kindBinary(), ["version"]);
  checks.push({ what: "kind", ok: kind !== undefined, detail: kind ?? "not built yet (for --platform kind)", fix: "bash scripts/tools.sh kind (go install sigs.k8s.io/kind@v0.30.0, cached in .cache/tools/bin)" });
  const kubectl = toolVersion(join(ROOT, ".cache/tools/bin/kubectl"), ["version", "--client"]);
  checks.push({ what: "kubectl", ok: kubectl !== undefined, detail: kubectl ? `${kubectl} (its kustomize renders k8s/)` : "not built yet (its kustomize renders k8s/ for --platform kind)", fix: "bash scripts/tools.sh kubectl (built from the k8s.io/kubernetes module)" });
  const toxiproxy = toolVersion(join(ROOT, ".cache/tools/bin/toxiproxy-server"), ["-version"]);
  checks.push({
    what: "toxiproxy-server",
    ok: toxiproxy !== undefined,
    detail: toxiproxy ? `${toxiproxy} (the toxiproxy image's TCP fault proxy)` : "not built yet (copied into the toxiproxy image for the database network faults; built with the images)",
    fix: "bash scripts/tools.sh toxiproxy-server (go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0, cached in .cache/tools/bin)",
  });
  if (engineOk) {
    const builder = new ImageBuilder({ pull: false });
    for (const name of builder.names()) {
      try {
        const s = await builder.status(name);
        checks.push({
          what: `image ${name}`,
          ok: s.state === "current" || s.state === "upstream",
          detail: `${s.ref}: ${s.state === "upstream" ? "upstream image present" : s.state === "current" ? "built, recipe unchanged" : s.state === "stale" ? "recipe changed since the last build" : "not built yet"}`,
          fix: "npm run images (scenarios and tests build what they need on first use)",
        });
      } catch (e) {
        checks.push({ what: `image ${name}`, ok: false, detail: errorMessage(e) });
      }
    }
  }
  if (engineOk) {
    const node = await imageExists(NODE_IMAGE);
    checks.push({
      what: "kind node image",
      ok: node !== undefined,
      detail: node ? `${NODE_IMAGE} (built ${node.Created.slice(0, 10)})` : `${NODE_IMAGE} not built yet (for --platform kind)`,
      fix: "bash scripts/kind/build-node-image.sh (about 10 min from nothing on 2 cores; --platform kind runs it on first use)",
    });
  }
  checks.push(await machineCheck());
  const missing = checks.filter((c) => !c.ok).length;
  const code = missing === 0 || engineOk ? ExitCode.held : ExitCode.badInputOrEnvironment;
  if (values.output === "json") {
    console.log(JSON.stringify({ ok: missing === 0, missing, checks }, null, 2));
    return code;
  }
  const width = Math.max(...checks.map((c) => c.what.length));
  for (const c of checks) {
    console.log(`${c.ok ? "ok  " : "MISS"}  ${c.what.padEnd(width)}  ${c.detail}${!c.ok && c.fix ? `\n      ${"".padEnd(width)}  fix: ${c.fix}` : ""}`);
  }
  console.log(missing === 0 ? "\neverything is in place" : `\n${missing} item(s) missing; npm run scenario and npm test set up what they need on first use`);
  return code;
}

/**
 * The machine against what runs on it: its cores and memory, the machine-wide
 * budget's current holders, and the largest shipped scenario's estimated cost
 * (on Docker and on kind): whether two runs fit side by side or take turns.
 */
async function machineCheck(): Promise<Check> {
  const [{ MachineBudget, MACHINE_CORES }, { estimateCost }, { listScenarios, loadScenario }] = await Promise.all([
    import("../coordination/budget.js"),
    import("../coordination/cost.js"),
    import("../scenario/load-scenario.js"),
  ]);
  const costs = listScenarios().flatMap((s) => {
    try {
      const scenario = loadScenario(s.file);
      return [{ name: s.name, docker: estimateCost(scenario, "docker"), kind: estimateCost(scenario, "kind") }];
    } catch {
      return [];
    }
  });
  const largest = costs.sort((a, b) => b.docker.cores - a.docker.cores)[0];
  const holders = new MachineBudget().holders();
  const memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB memory (${(freemem() / 2 ** 30).toFixed(1)} free)`;
  const side = largest ? (2 * largest.docker.cores <= MACHINE_CORES ? "two such runs fit side by side" : "two such runs take turns") : "";
  const detail =
    `${MACHINE_CORES} cores, ${memory}` +
    (largest ? `; the largest shipped scenario, ${largest.name}, needs about ${largest.docker.cores} cores on Docker (${largest.docker.detail}) and ${largest.kind.cores} on kind: ${side}` : "") +
    (holders.length ? `; now running: ${holders.map((h) => `${h.scenario} (${h.cores} cores)`).join(", ")}` : "");
  return { what: "machine", ok: largest === undefined || largest.docker.cores <= MACHINE_CORES, detail, fix: "a smaller load (load.rate) or a machine with more cores: a run bigger than the machine runs alone and may be inconclusive" };
}