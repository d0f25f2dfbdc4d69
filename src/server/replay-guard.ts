// Remembers recently seen webhook delivery ids so a captured, correctly signed request cannot be
// sent again. Bounded in count and time: after `ttlMs` an id is forgotten, which is acceptable
// because the worst a late replay can do is trigger one more (idempotent) poll.

export interface ReplayGuardOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ReplayGuardOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Records the id; false when it was already seen within the ttl (a replay). */
  firstSeen(id: string): boolean {
    const now = this.now();
    this.evictExpired(now);
    if (this.seen.has(id)) return false;
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(id, now + this.ttlMs);
    return true;
  }

  private evictExpired(now: number): void {
    // insertion order is expiry order (same ttl for all), so stop at the first live entry
    for (const [id, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(id);
    }
  }
}
