/**
 * What a counter counted in a window, exactly: its last sample minus the last
 * sample at or before the window's start (`fromSeconds`), every drop read as
 * a restart from 0 (Prometheus' reset rule). A series with no sample at or
 * before the start was born inside the window and counts from 0. Unlike
 * increase(), nothing is extrapolated to the window's edges: 20 requests
 * count as 20, not 26, so the intervals drawn from them are honest.
 * `values` are [unix seconds, value] pairs, ascending.
 */
export function counted(values: ReadonlyArray<readonly [number, number]>, fromSeconds: number): number {
  let start = values.findIndex(([t]) => t > fromSeconds);
  if (start === -1) return 0;
  let previous = start === 0 ? 0 : values[start - 1]![1];
  let total = 0;
  for (; start < values.length; start++) {
    const v = values[start]![1];
    total += v >= previous ? v - previous : v;
    previous = v;
  }
  return total;
}
