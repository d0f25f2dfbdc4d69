// Runs step jobs: a BullMQ Worker on the steps queue that hands each job to handlers[action], with
// stalled-job recovery (a crashed process's step runs again elsewhere: handlers are idempotent), the
// per-deployment hand-over when a transition's last step completes, and the recovery sweep.
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { ClusterClient } from '../cluster/types.ts';
import type { Ledger } from '../ledger/types.ts';
import { childLogger, redactConfiguredSecrets } from '../log.ts';
import { deploymentKey } from '../manifests/types.ts';
import { within } from '../within.ts';
import { redisOptionsFromUrl } from './connection.ts';
import { type StepInfo, TransitionEvents } from './events.ts';
import type { StepJobPolicy } from './flow.ts';
import { stepJobId } from './ids.ts';
import {
  DEFAULT_STEP_TIMEOUTS,
  type StepConfig,
  type StepContext,
  type StepHandler,
  type StepHandlers,
} from './step-handler.ts';
import { TransitionQueue } from './transition-queue.ts';
import type { StepJobData, StepResult } from './types.ts';

const log = childLogger({ module: 'worker-host' });

export interface StepWorkersOptions {
  redisUrl: string;
  handlers: Partial<StepHandlers>;
  cluster?: ClusterClient;
  ledger?: Ledger;
  config?: Partial<Omit<StepConfig, 'timeouts'>> & { timeouts?: Partial<StepConfig['timeouts']> };
  /** step jobs run at once in this process (different deployments; one deployment is always serial) */
  concurrency?: number;
  /** a running step's lock; a crashed process's step is re-run about this long after the crash */
  lockDuration?: number;
  /** how often this process looks for stalled steps */
  stalledInterval?: number;
  /** how often one step may stall (crash) before it is failed for a human; > 1 so one crash is survived */
  maxStalledCount?: number;
  /** how often the recovery sweep runs (also once at start) */
  sweepIntervalMs?: number;
  events?: TransitionEvents;
  prefix?: string;
  queueName?: string;
  policy?: Partial<StepJobPolicy>;
}

export interface StepWorkers {
  queue: TransitionQueue;
  worker: Worker<StepJobData, StepResult>;
  events: TransitionEvents;
  /** stops taking jobs and waits for running steps; after `timeoutMs` aborts them (they stall and re-run elsewhere) */
  close(timeoutMs?: number): Promise<void>;
}

function missing(what: string): never {
  throw new UnrecoverableError(
    `no ${what} configured for this worker process (see startStepWorkers options)`,
  );
}

const noCluster = new Proxy({} as ClusterClient, {
  get: (_t, prop) => (prop === 'then' ? undefined : () => missing('cluster client')),
});
const noLedger = new Proxy({} as Ledger, {
  get: (_t, prop) => (prop === 'then' ? undefined : () => missing('ledger')),
});

function stepInfo(job: Job<StepJobData>): StepInfo {
  const d = job.data;
  return {
    transitionId: d.transitionId,
    namespace: d.namespace,
    name: d.name,
    commit: d.commit,
    stepCount: d.stepCount,
    jobId: String(job.id),
    stepIndex: d.stepIndex,
    action: d.action,
    attempt: Math.max(1, job.attemptsStarted ?? job.attemptsMade + 1),
  };
}

export async function startStepWorkers(options: StepWorkersOptions): Promise<StepWorkers> {
  const events = options.events ?? new TransitionEvents();
  const queue = new TransitionQueue({
    redisUrl: options.redisUrl,
    events,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.queueName ? { queueName: options.queueName } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
  });
  const config: StepConfig = {
    rollback: options.config?.rollback ?? 'off',
    timeouts: { ...DEFAULT_STEP_TIMEOUTS, ...options.config?.timeouts },
  };
  const cluster = options.cluster ?? noCluster;
  const ledger = options.ledger ?? noLedger;
  const closing = new AbortController();
  const inflight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inflight.add(p);
    p.finally(() => inflight.delete(p)).catch(() => {});
  };

  const previousResults = async (job: Job<StepJobData>): Promise<StepResult[]> => {
    const results: StepResult[] = [];
    const steps = job.data.transition.steps;
    for (let i = 0; i < job.data.stepIndex; i++) {
      const earlier = await queue.queue.getJob(stepJobId(job.data.transitionId, i, steps[i].action));
      if (earlier?.returnvalue) results.push(earlier.returnvalue as StepResult);
    }
    return results;
  };

  const processor = async (
    job: Job<StepJobData, StepResult>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<StepResult> => {
    const handler: StepHandler | undefined = options.handlers[job.data.action];
    const info = stepInfo(job);
    if (!handler)
      throw new UnrecoverableError(
        `no handler for step action "${job.data.action}" (${job.data.namespace}/${job.data.name})`,
      );
    if (info.stepIndex === 0 && info.attempt === 1) events.emit('transition-started', info);
    events.emit('step-started', info);
    let combined: AbortSignal | undefined;
    const ctx: StepContext = {
      cluster,
      ledger,
      log: async (line) => {
        await job.log(`${new Date().toISOString()} ${redactConfiguredSecrets(line)}`);
      },
      progress: async (pct, message) => {
        await job.updateProgress({ pct, message });
      },
      // combined lazily: most steps never look at it, and AbortSignal.any is not free
      get signal() {
        combined ??= signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
        return combined;
      },
      config,
      previousResults: () => previousResults(job),
    };
    try {
      return await handler(job, ctx);
    } catch (err) {
      // the failure text is stored with the job (queue UI, `flinkops retry`): no configured secret in it
      if (err instanceof Error) err.message = redactConfiguredSecrets(err.message);
      throw err;
    }
  };

  const worker = new Worker<StepJobData, StepResult>(queue.queueName, processor, {
    connection: redisOptionsFromUrl(options.redisUrl),
    concurrency: options.concurrency ?? 4,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 3,
    autorun: false,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'step worker error (retrying)'));

  worker.on('completed', (job, result) => {
    const info = stepInfo(job);
    events.emit('step-finished', { ...info, result });
    if (job.data.stepIndex !== job.data.stepCount - 1) return;
    const deployment = deploymentKey(job.data.namespace, job.data.name);
    track(
      queue
        .finishTransition(job.data.transitionId, deployment)
        .then((released) => {
          if (released) {
            const { transitionId, namespace, name, commit, stepCount } = info;
            events.emit('transition-finished', { transitionId, namespace, name, commit, stepCount });
          }
        })
        .catch((err) =>
          log.error(
            { err: (err as Error).message, transitionId: job.data.transitionId },
            'releasing the deployment failed; the sweep will retry',
          ),
        ),
    );
  });

  worker.on('failed', (job, err) => {
    if (!job) return;
    const info = stepInfo(job);
    track(
      job
        .getState()
        .then((state) => {
          const willRetry = state !== 'failed';
          events.emit('step-failed', { ...info, error: err.message, willRetry });
          if (!willRetry) {
            log.warn({ jobId: job.id, error: err.message }, 'step failed; the transition waits for a retry');
            events.emit('transition-failed', { ...info, error: err.message });
          }
        })
        .catch(() => {}),
    );
  });

  const sweep = async () => {
    try {
      await queue.sweep();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'recovery sweep failed; will try again');
    }
  };
  await sweep();
  const sweepTimer = setInterval(() => track(sweep()), options.sweepIntervalMs ?? 30_000);
  sweepTimer.unref();
  worker.run().catch((err) => log.error({ err: (err as Error).message }, 'step worker stopped'));
  await worker.waitUntilReady();

  let closed: Promise<void> | null = null;
  const close = (timeoutMs = 30_000): Promise<void> => {
    closed ??= (async () => {
      clearInterval(sweepTimer);
      // graceful first: running steps finish; then abort them (they stall and re-run elsewhere)
      if ((await within(worker.close(), timeoutMs)) === 'timeout') {
        log.warn(
          { timeoutMs },
          'worker did not close in time (steps still running or Redis unreachable); aborting',
        );
        closing.abort(new Error('worker host closing'));
        // with Redis unreachable even a forced close can wait forever on the connection
        await within(worker.close(true), 5_000);
      }
      await within(Promise.allSettled([...inflight]), 5_000);
      await within(queue.close(), 5_000);
    })();
    return closed;
  };
  return { queue, worker, events, close };
}
