// Waiting on the operator, with the job log and progress saying what the step waits for, a
// deadline from the step config, and failures that carry the operator's text and the last state seen.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { ClusterError } from '../../src/cluster/types.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import type { StepContext } from '../../src/queue/step-handler.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import { classify, StepFailure, StepTimeout } from './errors.ts';
import { describe } from './status.ts';

/** true = done; a string = failed with that text; false = keep waiting. */
export type Check = (obj: FlinkDeployment | null) => boolean | string;

export interface WaitSpec {
  /** what the step waits for, in words: "lifecycle SUSPENDED with a new savepoint" */
  what: string;
  check: Check;
  timeoutMs: number;
  /** progress percentage to report while waiting */
  pct: number;
}

export function ref(job: Job<StepJobData>): string {
  return `${job.data.namespace}/${job.data.name}`;
}

/** Watches the deployment until `check` says done; throws StepFailure (operator's text) or StepTimeout. */
export async function waitForDeployment(
  job: Job<StepJobData>,
  ctx: StepContext,
  spec: WaitSpec,
): Promise<FlinkDeployment | null> {
  const { namespace, name } = job.data;
  const seconds = Math.round(spec.timeoutMs / 1000);
  await ctx.log(`waiting up to ${seconds}s for ${ref(job)}: ${spec.what}`);
  await ctx.progress(spec.pct, `waiting for ${spec.what}`);
  let last: FlinkDeployment | null = null;
  let failure: string | null = null;
  let lastLine = '';
  const reported: Promise<void>[] = [];
  try {
    return await ctx.cluster.waitFor(
      namespace,
      name,
      (obj) => {
        last = obj;
        const verdict = spec.check(obj);
        if (typeof verdict === 'string') failure = verdict;
        return verdict;
      },
      {
        timeoutMs: spec.timeoutMs,
        waitingFor: spec.what,
        signal: ctx.signal,
        onProgress: (message) => {
          // Only lines that say something new: the watch can fire often while nothing visible changes.
          const line = message.includes(ref(job)) ? message : `${ref(job)}: ${message}`;
          if (line === lastLine) return;
          lastLine = line;
          reported.push(ctx.log(line).catch(() => undefined));
        },
      },
    );
  } catch (err) {
    if (failure !== null) throw new StepFailure(`${ref(job)}: ${failure}`);
    if (err instanceof ClusterError && err.kind === 'Timeout') {
      throw new StepTimeout(
        `${ref(job)}: timed out after ${seconds}s waiting for ${spec.what}; last observed: ${describe(last)}`,
      );
    }
    throw classify(err, `waiting for ${ref(job)} (${spec.what})`);
  } finally {
    await Promise.all(reported);
  }
}

/**
 * Polls `probe` (for things the deployment's watch does not show, e.g. FlinkStateSnapshot resources)
 * until it returns a value; a thrown StepFailure ends it at once. Bounded by the deadline.
 */
export async function pollUntil<T>(
  job: Job<StepJobData>,
  ctx: StepContext,
  spec: { what: string; timeoutMs: number; pct: number; describeLast: () => string },
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const { what, timeoutMs, pct } = spec;
  await ctx.log(`waiting up to ${Math.round(timeoutMs / 1000)}s for ${ref(job)}: ${what}`);
  await ctx.progress(pct, `waiting for ${what}`);
  const deadline = Date.now() + timeoutMs;
  let interval = 100;
  for (;;) {
    if (ctx.signal.aborted)
      throw new Error(`${ref(job)}: stopped while waiting for ${what} (worker closing)`);
    let value: T | undefined;
    try {
      value = await probe();
    } catch (err) {
      const mapped = classify(err, `checking ${ref(job)} for ${what}`);
      if (mapped instanceof StepFailure) throw mapped;
      // transient read failure: keep polling until the deadline
      if (Date.now() >= deadline) throw mapped;
    }
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new StepTimeout(
        `${ref(job)}: timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}; last observed: ${spec.describeLast()}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, {
      signal: ctx.signal,
    }).catch(() => undefined);
    interval = Math.min(interval * 2, 1000);
  }
}
