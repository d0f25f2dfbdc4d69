// Only one poller acts per repository+branch: a Redis lease (SET NX PX) renewed while held. A replica
// that fails to renew (Redis lost it, another replica took over after expiry) stops planning at once.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  key: string;
  ttlMs?: number;
  /** called once when a held lease is lost */
  onLost?: () => void;
}

export class PollerLease {
  readonly token = randomUUID();
  private held = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: LeaseOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 15_000;
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Tries to take (or keep) the lease; true when this replica holds it afterwards. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return this.renew();
    const ok = await this.redis.set(this.options.key, this.token, 'PX', this.ttlMs, 'NX');
    if (ok === 'OK') {
      this.held = true;
      this.timer = setInterval(
        () => void this.renew().catch(() => this.lose()),
        Math.max(250, this.ttlMs / 3),
      );
      this.timer.unref();
    }
    return this.held;
  }

  async renew(): Promise<boolean> {
    if (!this.held) return false;
    const ok = (await this.redis.eval(RENEW, 1, this.options.key, this.token, String(this.ttlMs))) as number;
    if (ok !== 1) this.lose();
    return this.held;
  }

  async release(): Promise<void> {
    this.stopTimer();
    if (!this.held) return;
    this.held = false;
    await this.redis.eval(RELEASE, 1, this.options.key, this.token).catch(() => undefined);
  }

  private lose(): void {
    if (!this.held) return;
    this.held = false;
    this.stopTimer();
    this.options.onLost?.();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
