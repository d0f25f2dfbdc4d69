// Counts authentication failures per client address and blocks an address that fails too often,
// so a credential or webhook secret cannot be guessed at network speed. Only failures count:
// a busy but correctly authenticated dashboard is never throttled. Memory is bounded: the oldest
// addresses are forgotten first when the table is full.

export interface FailureLimiterOptions {
  /** failures allowed inside one window before the address is blocked */
  maxFailures?: number;
  windowMs?: number;
  /** most addresses remembered at once */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  windowStart: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: FailureLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until the address may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number {
    const entry = this.current(address);
    if (!entry || entry.failures < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((entry.windowStart + this.windowMs - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    const entry = this.current(address);
    if (entry) {
      entry.failures += 1;
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(address, { failures: 1, windowStart: this.now() });
  }

  private current(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (entry && this.now() - entry.windowStart >= this.windowMs) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
