// The Prometheus registry flinkops exposes at /metrics. Workers and the poller record through the
// small functions at the bottom (they write to the process-wide default instance); the server only
// reads. Queue depth is not pushed by anyone: it is read from the queue on every scrape, so it can
// never drift from what Redis holds.

import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { logger } from '../log.ts';

export type TransitionOutcome = 'success' | 'failure' | 'error' | 'blocked' | 'superseded' | (string & {});

/** Something that can say how many jobs sit in each state (a bullmq Queue satisfies it). */
export type JobCountSource = Pick<Queue, 'getJobCounts' | 'name'>;

export interface MetricsOptions {
  /** also collect Node's process metrics (cpu, memory, event loop lag); off in tests */
  processMetrics?: boolean;
  /** how long a scrape waits for the queue's job counts (default 2000 ms) */
  queueCountTimeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class FlinkopsMetrics {
  readonly registry = new Registry();
  private readonly transitions: Counter<'outcome'>;
  private readonly stepDuration: Histogram<'action'>;
  private readonly savepoints: Counter;
  private queueSources: () => readonly JobCountSource[] = () => [];
  private lastPollSource: () => number | null | Promise<number | null>;
  private lastPollAt: number | null = null;
  /** a scrape while Redis is unreachable must answer, not hang on ioredis' offline queue */
  readonly queueCountTimeoutMs: number;

  constructor(options: MetricsOptions = {}) {
    this.queueCountTimeoutMs = options.queueCountTimeoutMs ?? 2000;
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'flinkops_' });
    this.lastPollSource = () => this.lastPollAt;
    this.transitions = new Counter({
      name: 'flinkops_transitions_total',
      help: 'Transitions finished, by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.stepDuration = new Histogram({
      name: 'flinkops_step_duration_seconds',
      help: 'Wall-clock duration of one step job, by action',
      labelNames: ['action'],
      // steps wait on the operator: savepoints and restarts take seconds to many minutes
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [this.registry],
    });
    this.savepoints = new Counter({
      name: 'flinkops_savepoints_recorded_total',
      help: 'Savepoints written to the ledger',
      registers: [this.registry],
    });
    const self = this;
    new Gauge({
      name: 'flinkops_queue_jobs',
      help: 'Step jobs in the queue, by state (read from Redis at scrape time)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const totals = new Map<string, number>();
        for (const queue of self.queueSources()) {
          try {
            const counts = await withTimeout(queue.getJobCounts(), self.queueCountTimeoutMs, queue.name);
            for (const [state, n] of Object.entries(counts)) totals.set(state, (totals.get(state) ?? 0) + n);
          } catch (err) {
            // a scrape must still answer while Redis is down; /readyz is where that shows
            logger.warn(
              { queue: queue.name, err: (err as Error).message },
              'metrics: could not read job counts',
            );
          }
        }
        this.reset();
        for (const [state, n] of totals) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'flinkops_seconds_since_last_poll',
      help: 'Seconds since the last successful Git poll (-1 before the first one)',
      registers: [this.registry],
      async collect() {
        this.reset();
        const at = await self.lastPollSource();
        if (at === null) {
          // an unlabeled gauge always prints a value after reset; -1 says "never" unambiguously
          this.set(-1);
          return;
        }
        this.set(Math.max(0, (Date.now() - at) / 1000));
      },
    });
  }

  /** The queues whose depth /metrics reports (read on every scrape). */
  trackQueues(queues: readonly JobCountSource[] | (() => readonly JobCountSource[])): void {
    this.queueSources = typeof queues === 'function' ? queues : () => queues;
  }

  /** Where the last successful poll time comes from (epoch ms), e.g. a Redis key when the poller runs elsewhere. */
  setLastPollProvider(provider: () => number | null | Promise<number | null>): void {
    this.lastPollSource = provider;
  }

  recordTransition(outcome: TransitionOutcome): void {
    this.transitions.inc({ outcome });
  }

  observeStep(action: string, seconds: number): void {
    this.stepDuration.observe({ action }, seconds);
  }

  markPollSucceeded(at: number = Date.now()): void {
    this.lastPollAt = at;
  }

  recordSavepoint(): void {
    this.savepoints.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The process-wide instance the functions below write to and `flinkops run` serves. */
export const defaultMetrics = new FlinkopsMetrics({ processMetrics: true });

export function recordTransition(outcome: TransitionOutcome): void {
  defaultMetrics.recordTransition(outcome);
}

export function observeStep(action: string, seconds: number): void {
  defaultMetrics.observeStep(action, seconds);
}

export function markPollSucceeded(at?: number): void {
  defaultMetrics.markPollSucceeded(at);
}

export function recordSavepoint(): void {
  defaultMetrics.recordSavepoint();
}
