// Step handlers for the queue tests (and worker-main.ts in crash tests): each records its start and end
// in a Redis list, may sleep, and fails on demand, so tests can check order and serialization from data.
// Environment for worker processes: QUEUE_TEST_RECORD_URL (Redis for the records), QUEUE_TEST_STEP_MS.
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { STEP_ACTIONS } from '../../src/plan/types.ts';
import type { StepHandler, StepHandlers } from '../../src/queue/step-handler.ts';

export const RECORD_KEY = 'queue-test:records';
/** a key `queue-test:fail:<jobId>` makes that step fail with an UnrecoverableError while it exists */
export const failKey = (jobId: string) => `queue-test:fail:${jobId}`;
/** a key `queue-test:transient:<jobId>` holding N makes that step throw a plain Error N times */
export const transientKey = (jobId: string) => `queue-test:transient:${jobId}`;

export interface StepRecord {
  jobId: string;
  transitionId: string;
  deployment: string;
  stepIndex: number;
  action: string;
  phase: 'start' | 'end';
  at: number;
  pid: number;
}

export function recordingHandlers(recordUrl: string, stepMs = 0): StepHandlers & { close(): void } {
  const redis = new Redis(recordUrl, {
    maxRetriesPerRequest: null,
    retryStrategy: (n) => Math.min(100 * n, 1000),
  });
  redis.on('error', () => {});
  const record = (job: Parameters<StepHandler>[0], phase: 'start' | 'end') => {
    const entry: StepRecord = {
      jobId: String(job.id),
      transitionId: job.data.transitionId,
      deployment: `${job.data.namespace}/${job.data.name}`,
      stepIndex: job.data.stepIndex,
      action: job.data.action,
      phase,
      at: Date.now(),
      pid: process.pid,
    };
    return redis.rpush(RECORD_KEY, JSON.stringify(entry));
  };
  const handler: StepHandler = async (job, ctx) => {
    await record(job, 'start');
    await ctx.log(`test step ${job.data.action} started`);
    if (stepMs > 0) await new Promise((r) => setTimeout(r, stepMs));
    if (await redis.exists(failKey(String(job.id)))) {
      throw new UnrecoverableError(`test-induced failure of ${job.data.action}`);
    }
    const left = await redis.decr(transientKey(String(job.id)));
    if (left >= 0) throw new Error(`test-induced transient failure of ${job.data.action} (${left} left)`);
    await redis.del(transientKey(String(job.id)));
    const previous = await ctx.previousResults();
    await record(job, 'end');
    return {
      action: job.data.action,
      summary: `did ${job.data.action} after ${previous.map((p) => p.action).join(',') || 'nothing'}`,
    };
  };
  const handlers = Object.fromEntries(STEP_ACTIONS.map((a) => [a, handler])) as StepHandlers;
  return Object.assign(handlers, { close: () => redis.disconnect() });
}

export async function readRecords(redis: Redis): Promise<StepRecord[]> {
  return (await redis.lrange(RECORD_KEY, 0, -1)).map((line) => JSON.parse(line) as StepRecord);
}

// When loaded by src/queue/worker-main.ts as --handlers module.
const recordUrl = process.env.QUEUE_TEST_RECORD_URL;
export const stepHandlers = recordUrl
  ? recordingHandlers(recordUrl, Number(process.env.QUEUE_TEST_STEP_MS ?? 0))
  : undefined;
