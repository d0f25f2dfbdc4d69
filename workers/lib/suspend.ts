// Suspending a job and waiting for the operator to confirm it, shared by savepoint-suspend and
// suspend. If the operator reports an error (SavepointError, HA metadata lost...) or the step's
// deadline passes, job.state is put back to what it was: the operator then stops retrying the
// stop-with-savepoint and the job keeps running on its old spec, which is the safe place to wait
// for a human.
import type { Job } from 'bullmq';
import type { FlinkDeployment, UpgradeMode } from '../../src/manifests/types.ts';
import type { StepContext } from '../../src/queue/step-handler.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import { classify, fail, StepFailure } from './errors.ts';
import { patchLive, requireLive } from './live.ts';
import {
  describe,
  generationObserved,
  isFailed,
  isRealSavepointPath,
  isSessionCluster,
  isSuspendedNow,
  jobState,
  operatorError,
  upgradeSavepointPath,
} from './status.ts';
import { ref, waitForDeployment } from './wait.ts';
import { forget, notes, remember } from './write-ahead.ts';

interface SuspendBefore {
  state: string;
  upgradeMode: UpgradeMode | null;
  upgradeSavepointPath: string | null;
  error: string | null;
}

export interface SuspendOutcome {
  /** the savepoint the suspend produced (null for a last-state suspend without one) */
  savepointPath: string | null;
  /** the job was already suspended before this step did anything */
  alreadySuspended: boolean;
}

export async function suspendJob(
  job: Job<StepJobData>,
  ctx: StepContext,
  options: { upgradeMode: UpgradeMode | null; requireNewSavepoint: boolean; timeoutMs: number },
): Promise<SuspendOutcome> {
  const live = await requireLive(job, ctx);
  let before = notes<{ suspendBefore: SuspendBefore }>(job).suspendBefore;
  if (!before) {
    if (isSuspendedNow(live)) {
      const path = upgradeSavepointPath(live);
      await ctx.log(
        `${ref(job)} was already suspended before this step (upgradeSavepointPath ${path ?? 'none'})`,
      );
      return { savepointPath: isRealSavepointPath(path) ? path : null, alreadySuspended: true };
    }
    if (isSessionCluster(live)) throw fail(`${ref(job)} is a session cluster: it has no job to suspend`);
    if (jobState(live) !== 'RUNNING') {
      // A savepoint needs a RUNNING job; anything else would make the operator fall back to last-state.
      await waitForDeployment(job, ctx, {
        what: 'job RUNNING before suspending it',
        check: (obj) =>
          isFailed(obj)
            ? `job is FAILED: ${operatorError(obj) ?? describe(obj)}`
            : jobState(obj) === 'RUNNING',
        timeoutMs: options.timeoutMs,
        pct: 10,
      });
    }
    before = {
      state: live.spec.job?.state ?? 'running',
      upgradeMode: live.spec.job?.upgradeMode ?? null,
      upgradeSavepointPath: upgradeSavepointPath(live),
      error: operatorError(live),
    };
    await remember(job, { suspendBefore: before, suspendRequestedAt: new Date().toISOString() });
  }
  const mode = options.upgradeMode;
  await ctx.log(`suspending ${ref(job)}${mode ? ` with upgradeMode ${mode}` : ''}`);
  await patchLive(job, ctx, 'setting spec.job.state=suspended', (current) => {
    const jobPatch: Record<string, unknown> = {};
    if (current.spec.job?.state !== 'suspended') jobPatch.state = 'suspended';
    if (mode && current.spec.job?.upgradeMode !== mode) jobPatch.upgradeMode = mode;
    return Object.keys(jobPatch).length > 0 ? { spec: { job: jobPatch } } : null;
  });

  const known = before;
  try {
    const done = await waitForDeployment(job, ctx, {
      what: options.requireNewSavepoint
        ? 'lifecycle SUSPENDED with a new jobStatus.upgradeSavepointPath'
        : 'lifecycle SUSPENDED',
      check: (obj) => {
        if (!obj) return 'the deployment disappeared while suspending';
        const error = operatorError(obj);
        if (error && error !== known.error) return `the operator reported: ${error}`;
        if (isFailed(obj) && !isSuspendedNow(obj)) return `job FAILED while suspending: ${describe(obj)}`;
        if (!isSuspendedNow(obj) || !generationObserved(obj)) return false;
        if (!options.requireNewSavepoint) return true;
        const path = upgradeSavepointPath(obj);
        return isRealSavepointPath(path) && path !== known.upgradeSavepointPath;
      },
      timeoutMs: options.timeoutMs,
      pct: 40,
    });
    const path = upgradeSavepointPath(done);
    const fresh = isRealSavepointPath(path) && path !== known.upgradeSavepointPath;
    return { savepointPath: fresh ? path : null, alreadySuspended: false };
  } catch (err) {
    if (err instanceof StepFailure) await revertSuspend(job, ctx, known, err);
    throw err;
  }
}

/** Puts job.state (and upgradeMode) back so the operator stops trying and the job runs on its old spec. */
async function revertSuspend(
  job: Job<StepJobData>,
  ctx: StepContext,
  before: SuspendBefore,
  cause: StepFailure,
): Promise<void> {
  let current: FlinkDeployment | null;
  try {
    current = await ctx.cluster.get(job.data.namespace, job.data.name);
  } catch (err) {
    throw classify(err, `reading ${ref(job)} to revert the failed suspend (${cause.message})`);
  }
  if (!current || isSuspendedNow(current)) return; // it did suspend after all (or is gone): nothing to revert
  await ctx.log(`reverting ${ref(job)} to spec.job.state=${before.state}: ${cause.message}`);
  await patchLive(job, ctx, `reverting spec.job.state to ${before.state} after: ${cause.message}`, (obj) => {
    const jobPatch: Record<string, unknown> = {};
    if (obj.spec.job?.state !== before.state) jobPatch.state = before.state;
    if ((obj.spec.job?.upgradeMode ?? null) !== before.upgradeMode) jobPatch.upgradeMode = before.upgradeMode;
    return Object.keys(jobPatch).length > 0 ? { spec: { job: jobPatch } } : null;
  });
  // A human retry starts over: new "before" values, a new suspend.
  await forget(job);
  cause.message = `${cause.message}; reverted spec.job.state to ${before.state}, so ${ref(job)} keeps running on its old spec`;
}
