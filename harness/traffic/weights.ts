/**
 * Traffic shares (percent per version role) to per-server router weights and
 * back. HAProxy weights are integers 0..256 per server; a role's share is
 * spread evenly over its instances.
 */
export type Shares = Record<string, number>;

export interface ServerRef {
  server: string;
  role: string;
}

const MAX_WEIGHT = 256;

export function serverWeights(shares: Shares, servers: readonly ServerRef[]): Record<string, number> {
  const count = new Map<string, number>();
  for (const s of servers) count.set(s.role, (count.get(s.role) ?? 0) + 1);
  const total = Object.values(shares).reduce((a, b) => a + b, 0);
  if (Math.abs(total - 100) > 1e-9) throw new Error(`traffic shares must add up to 100%, got ${total}% (${JSON.stringify(shares)})`);
  for (const role of Object.keys(shares)) {
    if ((shares[role] ?? 0) > 0 && !count.has(role)) throw new Error(`no server for version "${role}", which should get ${shares[role]}% of the traffic`);
  }
  // Exact proportions first: share(role) * product of the other roles' instance counts, then scaled into 0..256.
  const lcm = [...count.values()].reduce((a, b) => (a * b) / gcd(a, b), 1);
  const raw = servers.map((s) => ((shares[s.role] ?? 0) * lcm) / count.get(s.role)!);
  const scaled = fitWeights(raw);
  return Object.fromEntries(servers.map((s, i) => [s.server, scaled[i]!]));
}

/** Integer weights in 0..256 proportional to `raw` (exact where the ratios allow). */
function fitWeights(raw: number[]): number[] {
  const ints = raw.map((w) => Math.round(w * 1000));
  const g = ints.filter((w) => w > 0).reduce((a, b) => gcd(a, b), 0) || 1;
  const reduced = ints.map((w) => w / g);
  const max = Math.max(...reduced);
  if (max <= MAX_WEIGHT) return reduced;
  return reduced.map((w) => (w === 0 ? 0 : Math.max(1, Math.round((w * MAX_WEIGHT) / max))));
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** Shares as the router holds them, from its per-server weights (percent, rounded to 0.1). */
export function sharesFromWeights(weights: Record<string, number>, servers: readonly ServerRef[]): Shares {
  const total = servers.reduce((sum, s) => sum + (weights[s.server] ?? 0), 0);
  const shares: Shares = {};
  for (const s of servers) shares[s.role] = (shares[s.role] ?? 0) + (total === 0 ? 0 : ((weights[s.server] ?? 0) * 100) / total);
  for (const k of Object.keys(shares)) shares[k] = Math.round(shares[k]! * 10) / 10;
  return shares;
}

/** The same share for every role (a router in front of roles without a strategy between them). */
export function evenShares(roles: readonly string[]): Shares {
  const each = 100 / roles.length;
  return Object.fromEntries(roles.map((r, i) => [r, i === roles.length - 1 ? 100 - each * (roles.length - 1) : each]));
}
