/**
 * The harness's layers, bottom up: one list of folders (under harness/) per
 * layer. A folder may import from layers below its own; never from a layer
 * above, and never from a peer in its own layer (peers are independent of
 * each other). Every folder of harness/ is in exactly one layer (a test checks
 * it). README's Layout section draws the same picture.
 */
const LAYERS = [
  ["common"],
  ["model"],
  ["timeline", "document"],
  ["audit"],
  ["approvals", "engine"],
  ["cleanup", "images"],
  ["platforms"],
  ["platforms/kubernetes"],
  ["platforms/docker", "platforms/kind"],
  ["probes", "traffic", "analysis", "load", "headroom", "notify"],
  ["recovery", "secrets"],
  ["faults", "actions"],
  ["scenario"],
  ["controller", "coordination"],
  ["checker"],
  ["report"],
  ["runner"],
  ["live"],
  ["bench", "suite", "pipeline"],
  ["cli"],
];

module.exports = { LAYERS };
