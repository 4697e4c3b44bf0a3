/**
 * Promise.all for parts that start resources: waits for every part to
 * settle before it rejects with the first failure, so nothing is still
 * being created when the teardown that follows a failure runs.
 */
export async function allSettledOrThrow<T extends readonly unknown[]>(parts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(parts);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
