// resume: start the job (job.state = the target's state, running) and wait until the operator
// calls it STABLE with the job RUNNING. A job that ends FAILED, or is not STABLE in time, fails the
// step with the cause. With rollback 'auto', the previous manifest is re-applied and started from
// the pre-upgrade savepoint the operator's own way (initialSavepointPath + a new
// savepointRedeployNonce, reference section 4 row 18) -- and the step still fails, saying so.
import type { Job } from 'bullmq';
import type { FlinkDeployment } from '../src/manifests/types.ts';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { classify, fail, StepFailure } from './lib/errors.ts';
import { patchLive, requireLive } from './lib/live.ts';
import { deploymentPatch, wantedFrom } from './lib/merge-patch.ts';
import { describe, isFailed, isRunningStable, lastReconciledSpec, operatorError } from './lib/status.ts';
import { ref, waitForDeployment } from './lib/wait.ts';
import { notes, remember } from './lib/write-ahead.ts';

interface RollbackNotes {
  savepoint: string;
  nonce: number;
  cause: string;
}

function runningCheck(obj: FlinkDeployment | null): boolean | string {
  if (!obj) return 'the deployment disappeared';
  if (isFailed(obj)) return `job FAILED: ${operatorError(obj) ?? describe(obj)}`;
  return isRunningStable(obj);
}

/** The savepoint taken before the upgrade of this transition (from the earlier steps, else the ledger). */
async function preUpgradeSavepoint(job: Job<StepJobData>, ctx: StepContext): Promise<string | null> {
  const results = await ctx.previousResults();
  const fromSteps = results
    .filter((r) => r.action === 'savepoint-suspend' && r.savepointPath)
    .pop()?.savepointPath;
  if (fromSteps) return fromSteps;
  const { namespace, name, commit } = job.data;
  const entries = await ctx.ledger.list(`${namespace}/${name}`);
  return entries.find((e) => e.commit === commit && e.step === 'savepoint-suspend')?.path ?? null;
}

function describePrevious(previous: FlinkDeployment): string {
  const image = previous.spec.image ? ` (image ${previous.spec.image})` : '';
  return `the previous spec${image}`;
}

async function rollBack(job: Job<StepJobData>, ctx: StepContext, cause: string): Promise<never> {
  const previous = job.data.previous;
  if (!previous?.spec.job) throw fail(`${cause}; no previous spec to roll back to`);
  let plan = notes<{ rollback: RollbackNotes }>(job).rollback;
  if (!plan) {
    const savepoint = await preUpgradeSavepoint(job, ctx).catch((err) => {
      throw classify(err, `finding the pre-upgrade savepoint of ${ref(job)}`);
    });
    if (!savepoint)
      throw fail(`${cause}; cannot roll back: no pre-upgrade savepoint of this transition in the ledger`);
    const live = await requireLive(job, ctx);
    // a redeploy fires only on a nonce different from the reconciled one: go above both
    const reconciled = lastReconciledSpec(live)?.job?.savepointRedeployNonce ?? 0;
    const nonce = Math.max(live.spec.job?.savepointRedeployNonce ?? 0, reconciled) + 1;
    plan = { savepoint, nonce, cause };
    await remember(job, { rollback: plan });
  }
  const { savepoint, nonce } = plan;
  await ctx.log(`rolling ${ref(job)} back to ${describePrevious(previous)} from savepoint ${savepoint}`);
  await ctx.progress(70, `rolling back to ${describePrevious(previous)}`);
  const wanted = wantedFrom(previous, {
    state: 'running',
    initialSavepointPath: savepoint,
    savepointRedeployNonce: nonce,
  });
  await patchLive(job, ctx, 'rolling back to the previous spec', (current) =>
    deploymentPatch(current, wanted, job.data.target),
  );
  try {
    await waitForDeployment(job, ctx, {
      what: 'the rolled-back job to be STABLE and RUNNING',
      check: runningCheck,
      timeoutMs: ctx.config.timeouts.resume,
      pct: 85,
    });
  } catch (err) {
    if (err instanceof StepFailure)
      throw fail(
        `${plan.cause}; the rollback to ${describePrevious(previous)} from ${savepoint} failed too: ${err.message}`,
      );
    throw err;
  }
  throw fail(`${plan.cause}; rolled back to ${describePrevious(previous)} from ${savepoint}`);
}

export const resume: StepHandler = async (job: Job<StepJobData>, ctx: StepContext): Promise<StepResult> => {
  // A re-run in the middle of a rollback finishes the rollback, never resumes the failed spec again.
  const pending = notes<{ rollback: RollbackNotes }>(job).rollback;
  if (pending) return rollBack(job, ctx, pending.cause);

  const live = await requireLive(job, ctx);
  if (!live.spec.job) throw fail(`${ref(job)} is a session cluster: there is no job to resume`);
  const state = job.data.target?.spec.job?.state ?? 'running';
  const wasRunning = isRunningStable(live) && live.spec.job.state === state;
  if (!notes(job).resumeRequested) await remember(job, { resumeRequested: new Date().toISOString() });
  if (live.spec.job.state !== state) {
    await ctx.log(`starting ${ref(job)} (spec.job.state=${state})`);
    await patchLive(job, ctx, `setting spec.job.state=${state}`, (current) =>
      current.spec.job?.state === state ? null : { spec: { job: { state } } },
    );
  }
  try {
    await waitForDeployment(job, ctx, {
      what: 'lifecycle STABLE and job RUNNING',
      check: runningCheck,
      timeoutMs: ctx.config.timeouts.resume,
      pct: 40,
    });
  } catch (err) {
    if (!(err instanceof StepFailure)) throw err;
    const cause = `resume of ${ref(job)} failed: ${err.message.replace(`${ref(job)}: `, '')}`;
    if (ctx.config.rollback === 'auto') return rollBack(job, ctx, cause);
    throw fail(cause);
  }
  await ctx.progress(100, `${ref(job)} is running`);
  return {
    action: 'resume',
    summary: `${wasRunning ? 'found' : 'started'} ${ref(job)}: STABLE and RUNNING`,
    ...(wasRunning ? { skipped: true } : {}),
  };
};
