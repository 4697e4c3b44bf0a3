/**
 * The q-quantile (0 <= q <= 1) of a cumulative histogram, computed the way
 * Prometheus' histogram_quantile does: find the bucket that holds rank
 * q * count and interpolate linearly between its bounds, as if its
 * observations were spread evenly in it. The first bucket starts at 0; a
 * rank in the +Inf bucket gives the highest finite bound. `buckets` are
 * [upper bound, cumulative count] sorted by bound, the last one +Inf
 * (NaN otherwise, and when there are no observations).
 */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number {
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const last = buckets[buckets.length - 1];
  if (!last || last[0] !== Number.POSITIVE_INFINITY || buckets.length < 2 || !(last[1] > 0)) return Number.NaN;
  return valueAtRank(q * last[1], buckets);
}

/**
 * The value of the observation at `rank` (0 to the count), read from the
 * histogram as histogram_quantile reads it: linear inside the bucket that
 * holds the rank; the highest finite bound for a rank in the +Inf bucket.
 */
export function valueAtRank(rank: number, buckets: ReadonlyArray<readonly [number, number]>): number {
  const i = buckets.findIndex(([, cum]) => cum >= rank);
  if (i === -1 || i === buckets.length - 1) return buckets[buckets.length - 2]![0];
  const [upper, cum] = buckets[i]!;
  if (i === 0 && upper <= 0) return upper;
  const [lower, below] = i === 0 ? [0, 0] : buckets[i - 1]!;
  return cum === below ? upper : lower + (upper - lower) * ((rank - below) / (cum - below));
}
