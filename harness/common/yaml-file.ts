import { isMap, LineCounter, parseDocument, type Document } from "yaml";
import type { Problem } from "./problems.js";

/** A YAML file read for validation: its value, and where in the text each path of it is. */
export interface YamlSource {
  readonly value: unknown;
  /** The problem with the line and column of the node at its path (the nearest one that exists; the key for an unknown field). */
  locate(p: Problem): Problem;
}

/**
 * Parse YAML text, keeping positions. A syntax error is one line with its
 * line, column and the source line (`x.yaml:5:4: is not valid YAML: … in
 * "   observe: [1s"`); an empty file (or one with only comments) is one line
 * saying so, with `emptyHint` after it. Both come back as `fatal`.
 */
export function readYaml(text: string, file: string, emptyHint: string): YamlSource | { fatal: string } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const source = text.split(/\r?\n/)[line - 1];
    return { fatal: `${file}:${line}:${col}: is not valid YAML: ${reason}${source !== undefined && source.trim() !== "" ? ` in ${JSON.stringify(source)}` : ""}` };
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return { fatal: `${file}: is empty: ${emptyHint}` };
  return { value, locate: (p) => locate(doc, lineCounter, p) };
}

type Ranged = { range?: [number, number, number] | null } | null | undefined;

function locate(doc: Document, lineCounter: LineCounter, p: Problem): Problem {
  const at = (node: unknown): Problem | undefined => {
    const offset = (node as Ranged)?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { ...p, line, column: col };
  };
  const keyNode = (path: ReadonlyArray<string | number>) => {
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    return isMap(parent) ? parent.items.find((i) => (i.key as { value?: unknown } | null)?.value === path[path.length - 1]) : undefined;
  };
  const path = [...p.path];
  if (p.at === "key" && path.length > 0) {
    const found = at(keyNode(path)?.key);
    if (found) return found;
  }
  // The node at the path, else the nearest one above it that exists; a key written without a value is its key.
  for (let n = path.length; n >= 0; n--) {
    const here = path.slice(0, n);
    const found = at(n === 0 ? doc.contents : doc.getIn(here, true)) ?? (n > 0 ? at(keyNode(here)?.key) : undefined);
    if (found) return found;
  }
  return p;
}
