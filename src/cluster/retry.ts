// Bounded retries with exponential backoff and jitter for calls to the API server. Every loop here
// ends: by attempt count, and by the caller's AbortSignal.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** total attempts including the first */
  attempts: number;
  /** first backoff in ms; doubles each retry */
  baseDelayMs: number;
  /** cap for a single backoff */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 3_000 };

/** Backoff before retry number `retry` (1-based): base * 2^(retry-1), capped, with +-25% jitter. */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jitter = exp * 0.25 * (Math.random() * 2 - 1);
  return Math.max(0, Math.round(exp + jitter));
}

/**
 * Runs `fn` until it resolves, `shouldRetry(err)` says no, or attempts run out (then the last error is thrown).
 * `onRetry` sees each error that is about to be retried.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  shouldRetry: (err: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
  hooks: { onRetry?: (err: unknown, attempt: number, delayMs: number) => void; signal?: AbortSignal } = {},
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      lastError = err;
      if (attempt >= policy.attempts || !shouldRetry(err)) throw err;
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, { signal: hooks.signal });
    }
  }
  throw lastError;
}
