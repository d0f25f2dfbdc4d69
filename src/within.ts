// Bounded waits for shutdown paths: a close that needs an unreachable Redis would otherwise wait forever.

/**
 * Resolves 'timeout' when `promise` has not settled within `ms` (a rejection counts as settled); what it
 * waited for may still finish later.
 */
export async function within(promise: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const done = promise.then(
    () => 'done' as const,
    () => 'done' as const,
  );
  const outcome = await Promise.race([done, timedOut]);
  clearTimeout(timer);
  return outcome;
}
