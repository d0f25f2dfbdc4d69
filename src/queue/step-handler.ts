// The contract between the worker host (src/queue/worker-host.ts) and the step workers (workers/*.ts).
// A handler runs one step of one transition; the host gives it everything it may touch, so a handler
// never opens its own Redis or cluster connections and can be tested with any ClusterClient/Ledger.
import type { Job } from 'bullmq';
import type { ClusterClient } from '../cluster/types.ts';
import type { Ledger } from '../ledger/types.ts';
import type { StepAction } from '../plan/types.ts';
import type { StepJobData, StepResult } from './types.ts';

export interface StepConfig {
  /** per-action timeout in ms (e.g. savepoint-suspend defaults to 10 min); the handler enforces it */
  timeouts: Record<StepAction, number>;
  /** 'auto': a resume that ends FAILED re-applies the previous spec from the pre-upgrade savepoint */
  rollback: 'auto' | 'off';
}

export interface StepContext {
  cluster: ClusterClient;
  ledger: Ledger;
  /** appends a line to the job's log (job.log, shown in the queue UI) */
  log(line: string): Promise<void>;
  /** reports progress (job.updateProgress with {pct, message}); the message says what the step waits for */
  progress(pct: number, message: string): Promise<void>;
  /** aborted when the worker host closes or the job is cancelled; pass it to cluster.waitFor */
  signal: AbortSignal;
  config: StepConfig;
  /** results of the earlier steps of this transition, in order (e.g. the savepoint path of savepoint-suspend) */
  previousResults(): Promise<StepResult[]>;
}

/**
 * Runs one step. Resolve with a StepResult on success; throw bullmq's UnrecoverableError for semantic
 * failures (savepoint failed, spec invalid, job FAILED): the job then waits for a human retry. Any other
 * error is treated as transient and retried by BullMQ attempts with backoff.
 */
export type StepHandler = (job: Job<StepJobData>, ctx: StepContext) => Promise<StepResult>;

export type StepHandlers = Record<StepAction, StepHandler>;

export const DEFAULT_STEP_TIMEOUTS: Record<StepAction, number> = {
  create: 10 * 60_000,
  savepoint: 10 * 60_000,
  'savepoint-suspend': 10 * 60_000,
  suspend: 10 * 60_000,
  upgrade: 5 * 60_000,
  resume: 10 * 60_000,
  'guarded-delete': 10 * 60_000,
};
