/** Words for people about values people wrote: what a value is, and the name they probably meant. */

/** `"soon"`, `number 0`, `a list`, `a mapping`, `null`, `nothing`: a value as a problem message shows it. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
}

/** The closest candidate within edit distance 2, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` when a candidate is close, else nothing. */
export function didYouMean(word: unknown, candidates: readonly string[]): string {
  const near = typeof word === "string" ? closest(word, candidates) : undefined;
  return near ? ` (did you mean "${near}"?)` : "";
}

/** `must be one of a, b, got "c" (did you mean "a"?)`. */
export function oneOfMessage(choices: readonly string[], got: unknown): string {
  return `must be one of ${choices.join(", ")}, got ${describe(got)}${didYouMean(got, choices)}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
