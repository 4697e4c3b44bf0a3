/** What each command says for -h/--help (exit 0, nothing started), and the flags npm may take for itself. */

export const USAGE = `usage:
  gameday run <name | path.yaml | folder>... [--platform docker|kind|kubernetes] [--keep-cluster] [--time-scale N] [--seed N] [--inconclusive=fail] [--retries N] [--no-wait] [--out-dir DIR] [--junit PATH] [--json] [--verbose]
  gameday run <name | path.yaml> --live [--time-scale N] [run flags]
  gameday validate <name | path.yaml | folder>... [-o json]
  gameday list [-o json]
  gameday suite [--from DIR] [--tag T]... [--only NAME]... [--platform docker|kind|kubernetes] [run flags]
  gameday doctor [-o json]
  gameday images [--force]
  gameday clean [--images] [--clusters] [--force]
  gameday bench <images | load | strategies | kind | dr | analysis | concurrency | speed | report | audit | security>
  gameday audit <verify | show | prune> [--file F] [-o json]
  gameday approve <release> --as <name> --group <group> [--comment TEXT]
  gameday metrics [--port N | --once]
gameday is scripts/gameday (npx gameday in this folder, or on your PATH after npm link).
The npm scripts are the same commands: npm run scenario|suite|doctor|images|clean|bench|audit|approve|metrics, with the
harness's flags after npm's "--" (npm run scenario -- --validate x.yaml is gameday validate x.yaml).
Every command takes -h or --help.`;

const HELP: Record<string, string> = {
  scenario: `npm run scenario -- <name | path.yaml | folder>... [flags]

Runs each scenario (a shipped name, a file, or every .yaml file of a folder), one after the other, and
writes its evidence to runs/<run id>/ (report.html, results.json, events.jsonl, junit.xml, logs/).
Every file is read and checked before anything starts; paths are relative to where you ran the command.

flags:
  --list                       list the shipped scenarios and what each checks
  -o json                      with --list or --validate: one JSON document instead of lines
  --validate <file>...         check scenario files (names, files, folders) and start nothing; exit 2 if any is invalid
  --platform docker|kind|kubernetes
                               where to run (default: the scenario's platform, else docker); kubernetes is a
                               cluster the harness did not create: it makes and removes only its run's namespaces
  --kubeconfig FILE            with kubernetes: the cluster's kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME               with kubernetes: the kubeconfig context (default: its current context)
  --allow-context NAME         with kubernetes: run on NAME although its name or server suggests production
  --registry HOST[:PORT]/PATH  with kubernetes: push the images there for the cluster to pull (needed unless the
                               cluster is a kind cluster on this machine, whose nodes they are loaded into)
  --keep-cluster               keep the kind cluster for the next command (npm run clean -- --clusters removes it)
  --time-scale N               wall seconds per spec second (0.01 runs a 600 s stage in 6 s)
  --seed N                     replay a run's randomness (results.json names its seed)
  --inconclusive=fail          exit 1 instead of 3 when the only unmet expectations were measured on a saturated machine
  --retries N                  run an inconclusive scenario again, up to N times (0 to 5; default 0): each attempt is a
                               new run with its own folder, the last decides; a failed run is never run again
  --no-wait                    start at once even when the machine's budget is taken by other runs (the report says so)
  --out-dir DIR                write the run folders under DIR instead of runs/
  --junit PATH                 also write one JUnit file for the whole command (a suite per scenario)
  --json                       print the timeline as JSON lines
  --verbose                    print every event, and stack traces
  --live                       a game day: one scenario at real speed (unless --time-scale), with a page on
                               127.0.0.1 (its address and token printed) that follows the run and lets you
                               inject any fault of the platform, undo it, mark what you see, or abort
  -h, --help                   this text

exit codes: 0 every expectation held, 1 one failed, 2 bad input or environment, 3 inconclusive, 130 interrupted

examples:
  npm run scenario canary-fail
  npm run scenario -- canary-fail --platform kind --keep-cluster
  npm run scenario -- canary-fail --platform kubernetes --kubeconfig staging.yaml --registry registry.example.com/sre
  npm run scenario -- --validate scenarios/ my-scenario.yaml
  npm run scenario -- bluegreen-fail --time-scale 0.05 --seed 42
  gameday run canary-success --live`,
  doctor: `npm run doctor

Checks what runs need (the Docker engine, node, the tools, the images, kind's node image, the machine's
cores and memory against the largest shipped scenario) and says how to fix what is missing.
  -o json      the checks as one JSON document ({ ok, missing, checks: [{ what, ok, detail, fix }] })`,
  images: `npm run images [-- --force]

Builds the local images (the reference service's versions, PostgreSQL, HAProxy, Prometheus, Toxiproxy)
from their recipes; an image whose recipe has not changed is reused. --force rebuilds them all.`,
  clean: `npm run clean [-- --images] [--clusters] [--force]

Removes what runs left behind (containers, networks, kind namespaces of runs whose harness is gone).
  --clusters   also delete the kept kind cluster
  --images     also remove the local images (rebuilt on the next run)
  --force      also remove what belongs to runs still going on`,
  bench: `npm run bench -- <name> [flags]

Measures and prints figures, and writes them to runs/bench/<name>.json:
  images [--sizes], load, strategies, kind, dr [--only=...], analysis [--seeds=20] [--only=latency|errors],
  concurrency [--pairs=10], speed [--runs=5], report, audit, security [--pairs=5]`,
  audit: `npm run audit -- <verify | show | prune> [flags]

The audit trail (audit-requirements.yml): every deployment, approval, gate decision, promotion, rollback and restore, one
record per line in .state/audit/trail.jsonl (GAMEDAY_AUDIT_LOG names another), each holding the
hash of the one before it. Deployment logs are sealed at rest with the key beside it (mode 0600).
  verify             check every record and the chain; exit 0, or 1 naming the first bad record and why
  show               list the records, sealed ones opened (--type deployment|approval|gate|promotion|rollback|restore, --last N)
  prune              apply the retention (deployment logs 2 years, approval records 5 years): records past it
                     keep their place and hash but lose their content, those at the start fold into a
                     checkpoint; the trail still verifies. --now ISO prunes as of another time
  --file F           another trail file
  -o json            one JSON document`,
  approve: `npm run approve -- <release> --as <name> --group <group> [--comment TEXT] [--environment production]

Records an approval of a release in the audit trail, for a game day's approval gate. The gate counts it
when the release's production deployment starts (approval-matrix.yml: 2 approvals from different people
of senior-engineers or security-team); what it would not count is said at once.`,
  metrics: `npm run metrics [-- --port N | --once]

Serves the document's deployment metrics (deployment_duration, deployment_success_rate, rollback_count),
computed from the audit trail at each scrape, at http://127.0.0.1:9479/metrics for a Prometheus to scrape,
until Ctrl-C. --once prints them instead. --file F reads another trail.`,
  suite: `npm run suite -- [flags]   (gameday suite ...)

Runs every shipped scenario, or those the flags select, past failures: side by side as many as the
machine's budget lets (each run's estimated cores against the machine's, less what runs of other
commands hold; kind runs one at a time, on one cluster), each progress line named after its scenario. Then
writes runs/suites/<suite id>/: index.html (every run with its verdict, what decided it and a link to
its report, and the trend against the suites run before it), junit.xml (a suite per run) and suite.json.
Every file is read and checked before anything starts.

flags:
  --from DIR                   the scenarios of this folder instead of the shipped ones
  --tag T                      only scenarios with this tag (repeat, or T1,T2: any of them). A scenario's tags are
                               its own (tags: in the file), its platform, its strategy, dr, faults, environment
  --only NAME                  only this scenario (repeat, or N1,N2; names may also be given as arguments)
  --platform docker|kind|kubernetes
                               run every selected scenario there; those it cannot run are skipped, with why
                               (kubernetes takes --kubeconfig, --context, --allow-context and --registry as run does)
  --out-dir DIR                write the run folders and suites/ under DIR instead of runs/
  --junit PATH                 also write the suite's JUnit file there
  --serial                     one run after the other, never side by side
  --time-scale N, --seed N, --inconclusive=fail, --retries N, --no-wait, --keep-cluster, --json, --verbose: as for a run

exit codes: the worst run's: 0 every expectation held, 1 one failed, 2 bad input or environment,
3 inconclusive, 130 interrupted

examples:
  npm run suite
  npm run suite -- --tag canary --tag blue-green
  npm run suite -- --platform kind --junit runs/nightly-junit.xml`,
};

HELP.run = `gameday run <name | path.yaml | folder>... [flags]   (npm run scenario -- ...)

${HELP.scenario!.slice(HELP.scenario!.indexOf("\n\n") + 2)}`;
HELP.validate = `gameday validate <name | path.yaml | folder>...   (npm run scenario -- --validate ...)

Reads and checks each scenario (a shipped name, a file, or every .yaml file of a folder) and starts
nothing: every problem with its file, line, column and path. Exit 0 when all are valid, 2 otherwise.
  -o json      one JSON list, an entry per file: { file, valid, name, steps, expectations, warnings, problems }`;
HELP.list = `gameday list   (npm run scenario -- --list)

Lists the shipped scenarios and what each checks.
  -o json      one JSON list: { name, description, file }`;

/** The help of a command, or the usage of all. */
export function helpFor(command: string | undefined): string {
  return (command && HELP[command]) || USAGE;
}

/** Flags that take a value: npm leaves the value among the arguments, so the right form cannot be rebuilt. */
const VALUED = new Set(["from", "tag", "platform", "kubeconfig", "context", "allow-context", "registry", "time-scale", "seed", "inconclusive", "retries", "junit", "out-dir", "runs", "seeds", "pairs", "only", "file", "type", "last", "now", "as", "group", "comment", "environment", "port"]);

/** How the command should have been typed: the flags after "--", a value shown as <value>. */
export function rightForm(command: string, flags: readonly string[]): string {
  const written = flags.map((f) => (VALUED.has(f) ? `--${f} <value>` : `--${f}`)).join(" ");
  return `npm run ${command} -- ${command === "scenario" ? "<names, files or folders> " : ""}${written}`;
}

/** Each command's flags, as npm would export them had it taken them for itself (npm_config_<flag>). */
const FLAGS: Record<string, readonly string[]> = {
  scenario: ["list", "validate", "platform", "kubeconfig", "context", "allow-context", "registry", "keep-cluster", "time-scale", "seed", "inconclusive", "retries", "no-wait", "json", "junit", "out-dir", "live"],
  suite: ["from", "tag", "only", "platform", "kubeconfig", "context", "allow-context", "registry", "keep-cluster", "time-scale", "seed", "inconclusive", "retries", "no-wait", "json", "junit", "out-dir"],
  clean: ["images", "clusters", "force"],
  images: ["force"],
  bench: ["runs", "seeds", "pairs", "only"],
  audit: ["file", "type", "last", "now"],
  approve: ["as", "group", "comment", "environment", "file"],
  metrics: ["port", "file", "once"],
  doctor: [],
};

/**
 * Flags npm took for itself: `npm run scenario --validate x.yaml` (without
 * "--") hands the harness only "x.yaml" and exports npm_config_validate. Only
 * when npm ran this very command (npm_lifecycle_event names it).
 */
export function swallowedFlags(command: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.npm_lifecycle_event !== command) return [];
  return (FLAGS[command] ?? []).filter((flag) => {
    // npm reads --no-wait as "wait" set to false, exported empty.
    if (flag.startsWith("no-")) return env[`npm_config_${flag.slice(3).replace(/-/g, "_")}`] !== undefined;
    return env[`npm_config_${flag.replace(/-/g, "_")}`] !== undefined;
  });
}
