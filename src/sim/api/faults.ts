// API-level fault injection for resilience tests: a share of requests fails with 500, a share of writes
// with 409, a share of watch streams is cut after its first event, and every request can be slowed down.
import type { ApiFaults } from '../types.ts';
import { badRequest } from './status.ts';

const RATES = ['errorRate', 'conflictRate', 'dropWatchRate'] as const;

export class FaultInjector {
  private faults: ApiFaults = {};

  constructor(private readonly random: () => number = Math.random) {}

  get current(): ApiFaults {
    return { ...this.faults };
  }

  /** Replaces the faults; throws a 400 ApiError naming the bad field. */
  set(input: unknown): ApiFaults {
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw badRequest('faults must be a JSON object');
    const next: ApiFaults = {};
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      if ((RATES as readonly string[]).includes(key)) {
        if (typeof value !== 'number' || !(value >= 0 && value <= 1))
          throw badRequest(`${key} must be a number in 0..1, got ${JSON.stringify(value)}`);
        next[key as (typeof RATES)[number]] = value;
      } else if (key === 'latencyMs') {
        if (typeof value !== 'number' || !(value >= 0 && value <= 60_000))
          throw badRequest(`latencyMs must be a number in 0..60000, got ${JSON.stringify(value)}`);
        next.latencyMs = value;
      } else {
        throw badRequest(`unknown fault "${key}"; known: ${[...RATES, 'latencyMs'].join(', ')}`);
      }
    }
    this.faults = next;
    return this.current;
  }

  get latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }

  shouldFail(): boolean {
    return this.roll(this.faults.errorRate);
  }

  shouldConflict(): boolean {
    return this.roll(this.faults.conflictRate);
  }

  shouldDropWatch(): boolean {
    return this.roll(this.faults.dropWatchRate);
  }

  private roll(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }
}
