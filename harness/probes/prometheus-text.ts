/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class PrometheusTextError extends Error {}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;

/** Parses Prometheus text format (version 0.0.4); throws with the line number on a malformed line. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = SAMPLE.exec(line);
    if (!m) throw new PrometheusTextError(`line ${i + 1} is not a Prometheus sample: ${line.slice(0, 80)}`);
    const value = parseValue(m[4]!);
    if (value === undefined) throw new PrometheusTextError(`line ${i + 1} has a value that is not a number: ${m[4]}`);
    samples.push({ name: m[1]!, labels: m[3] ? parseLabels(m[3], i + 1) : {}, value });
  });
  return samples;
}

function parseValue(s: string): number | undefined {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

function parseLabels(body: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const nameMatch = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(body.slice(i));
    if (!nameMatch) throw new PrometheusTextError(`line ${line} has malformed labels: {${body}}`);
    i += nameMatch[0].length;
    let value = "";
    for (;;) {
      const c = body[i];
      if (c === undefined) throw new PrometheusTextError(`line ${line} has an unterminated label value`);
      i++;
      if (c === '"') break;
      if (c === "\\") {
        const next = body[i++];
        value += next === "n" ? "\n" : (next ?? "");
      } else value += c;
    }
    labels[nameMatch[1]!] = value;
    const rest = /^\s*,?\s*/.exec(body.slice(i));
    i += rest![0].length;
  }
  return labels;
}

/** Sum of the samples of `name` whose labels include all of `match`. */
export function sumSamples(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
