/**
 * dependency-cruiser's rules for harness/: no import cycle, and no import
 * against the layers in scripts/layers.cjs. Checked by `npm test` (the unit
 * project's test/architecture.test.ts) and `npm run check:layers`.
 */
const { LAYERS } = require("./scripts/layers.cjs");

const folder = (name) => `^harness/${name.replace("/", "\\/")}/[^/]+\\.ts$`;
const anyOf = (names) => `^harness/(${names.map((n) => n.replace("/", "\\/")).join("|")})/[^/]+\\.ts$`;

const forbidden = [
  {
    name: "no-cycles",
    severity: "error",
    comment: "Modules must not import each other in a circle.",
    from: { path: "^harness/" },
    to: { circular: true },
  },
];
LAYERS.forEach((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  for (const name of layer) {
    const peers = layer.filter((p) => p !== name);
    const targets = [...above, ...peers];
    if (targets.length === 0) continue;
    forbidden.push({
      name: `layer-${name.replace("/", "-")}`,
      severity: "error",
      comment: `harness/${name} (layer ${i}) may import only from layers below it: not from ${targets.join(", ")}.`,
      from: { path: folder(name), pathNot: "\\.test\\.ts$" },
      to: { path: anyOf(targets) },
    });
  }
});

module.exports = {

  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
