// upgrade: apply the target manifest (spec, labels, annotations) to the live object. When a resume
// step follows, the live job.state is kept, so the operator records the new spec without starting
// the job early. In savepoint mode it refuses to touch the spec unless the savepoint taken by this
// transition's savepoint-suspend is in the ledger: without it, the new spec could start from nothing.
import type { Job } from 'bullmq';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { classify, fail } from './lib/errors.ts';
import { laterStepResumes, patchLive, requireLive, requireTarget } from './lib/live.ts';
import { deploymentPatch, wantedFrom } from './lib/merge-patch.ts';
import { describe, generationObserved, isSuspendedNow, operatorError } from './lib/status.ts';
import { ref, waitForDeployment } from './lib/wait.ts';
import { notes, remember } from './lib/write-ahead.ts';

/** The savepoint of this transition's savepoint-suspend, as the ledger holds it (null when missing). */
async function recordedSuspendSavepoint(job: Job<StepJobData>, ctx: StepContext): Promise<string | null> {
  const { namespace, name, commit } = job.data;
  const results = await ctx.previousResults().catch((err) => {
    throw classify(err, `reading the results of the earlier steps of ${ref(job)}`);
  });
  const claimed = results
    .filter((r) => r.action === 'savepoint-suspend' && r.savepointPath)
    .map((r) => r.savepointPath);
  const entries = await ctx.ledger.list(`${namespace}/${name}`).catch((err) => {
    throw classify(err, `reading the savepoint ledger of ${ref(job)}`);
  });
  const recorded = entries.filter(
    (e) =>
      e.namespace === namespace && e.name === name && e.step === 'savepoint-suspend' && e.commit === commit,
  );
  // The earlier step's own result must agree with the ledger when there is one.
  const match = claimed.length > 0 ? recorded.find((e) => claimed.includes(e.path)) : recorded[0];
  return match?.path ?? null;
}

export const upgrade: StepHandler = async (job: Job<StepJobData>, ctx: StepContext): Promise<StepResult> => {
  const target = requireTarget(job);
  const live = await requireLive(job, ctx);
  const steps = job.data.transition.steps;
  const afterSavepointSuspend = steps
    .slice(0, job.data.stepIndex)
    .some((s) => s.action === 'savepoint-suspend');
  const savepointMode = job.data.expectedUpgradeMode === 'savepoint' || afterSavepointSuspend;

  let savepointPath: string | null = null;
  if (savepointMode && afterSavepointSuspend) {
    savepointPath = await recordedSuspendSavepoint(job, ctx);
    if (!savepointPath) {
      throw fail(
        `refusing to upgrade ${ref(job)}: the ledger holds no savepoint from this transition's savepoint-suspend ` +
          `(commit ${job.data.commit.slice(0, 12)}); applying the new spec without it could lose the job's state`,
      );
    }
    if (!isSuspendedNow(live)) {
      throw fail(
        `refusing to upgrade ${ref(job)}: it should be SUSPENDED after savepoint-suspend but has ${describe(live)}`,
      );
    }
  } else if (savepointMode && !isSuspendedNow(live) && laterStepResumes(job)) {
    throw fail(
      `refusing to upgrade ${ref(job)} in savepoint mode: the job is not suspended and this transition took no savepoint ` +
        `(it has ${describe(live)})`,
    );
  }

  // Keep the live job.state when a later resume will start the job.
  const keepState = laterStepResumes(job) && live.spec.job !== undefined;
  const wanted = wantedFrom(target, keepState ? { state: live.spec.job?.state ?? 'suspended' } : {});
  const before = notes<{ upgradeErrorBefore: string | null }>(job);
  if (!('upgradeErrorBefore' in before))
    await remember(job, { upgradeErrorBefore: operatorError(live) ?? '' });
  const errorBefore = notes<{ upgradeErrorBefore: string }>(job).upgradeErrorBefore || null;

  const patch = deploymentPatch(live, wanted, job.data.previous);
  if (patch) {
    await ctx.progress(20, `applying the target spec to ${ref(job)}`);
    await ctx.log(`applying to ${ref(job)}: ${JSON.stringify(patch)}`);
    await patchLive(job, ctx, 'applying the target spec', (current) =>
      deploymentPatch(current, wanted, job.data.previous),
    );
  } else {
    await ctx.log(`${ref(job)} already has the target spec; waiting for the operator to have reconciled it`);
  }

  await waitForDeployment(job, ctx, {
    what: 'observedGeneration to catch up with no status.error',
    check: (obj) => {
      if (!obj) return 'the deployment disappeared during the upgrade';
      const error = operatorError(obj);
      if (error && error !== errorBefore) return `the operator rejected the spec: ${error}`;
      return generationObserved(obj) && !error;
    },
    timeoutMs: ctx.config.timeouts.upgrade,
    pct: 60,
  });
  await ctx.progress(100, `${ref(job)} has the target spec`);
  return {
    action: 'upgrade',
    summary: `${patch ? 'applied' : 'found'} the target spec on ${ref(job)}${keepState ? ' (job left suspended for resume)' : ''}`,
    ...(savepointPath ? { savepointPath } : {}),
    ...(patch ? {} : { skipped: true }),
  };
};
