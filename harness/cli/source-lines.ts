/**
 * Under each problem that names a place in a file (`file:line:col: ...`),
 * the file's line and a caret under the column, as compilers print them:
 *
 *   scenarios/x.yaml:6:15: versions.stable.replicas must be an integer >= 1 and <= 10, got "many"
 *       6 |     replicas: many
 *         |               ^
 *
 * `read` gives a file's text (undefined where it cannot be read: the line is
 * then left as it is). A key that is missing has no line of its own (the
 * place is its mapping's), so it gets none.
 */
export function withSourceLines(message: string, read: (file: string) => string | undefined): string {
  const texts = new Map<string, string[] | undefined>();
  const lines = (file: string) => {
    if (!texts.has(file)) texts.set(file, read(file)?.split(/\r?\n/));
    return texts.get(file);
  };
  return message
    .split("\n")
    .map((problem) => {
      const m = /^(.+?):(\d+):(\d+): /.exec(problem);
      if (!m || / is missing: /.test(problem)) return problem;
      const [, file, line, col] = m;
      const source = lines(file!)?.[Number(line) - 1];
      if (source === undefined) return problem;
      const gutter = " ".repeat(line!.length);
      // Tabs are kept under the caret so it lines up with the text above it.
      const lead = [...source.slice(0, Math.max(0, Number(col) - 1))].map((c) => (c === "\t" ? "\t" : " ")).join("");
      return `${problem}\n    ${line} | ${source}\n    ${gutter} | ${lead}^`;
    })
    .join("\n");
}
