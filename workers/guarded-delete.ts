// guarded-delete: a Kubernetes delete takes no savepoint and drops the checkpoint pointers
// (reference section 10), so flinkops refuses without the commit's approval, takes a final
// savepoint, records it in the ledger, and only then deletes. If the savepoint fails, nothing is
// deleted. A later `create` of the same namespace/name restores from that ledger entry. A job that
// never ran (created suspended, or FAILED on its very first start) has no state: it is deleted
// without one. A last-state-suspended job's only state is the HA metadata the delete removes: refused.
import type { Job } from 'bullmq';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { classify, fail } from './lib/errors.ts';
import { readLive } from './lib/live.ts';
import { takeManualSavepoint } from './lib/manual-savepoint.ts';
import { recordSavepoint } from './lib/record.ts';
import {
  describe,
  isRealSavepointPath,
  isSessionCluster,
  isSuspendedNow,
  jobState,
  neverRan,
  suspendedWithLastState,
  upgradeSavepointPath,
} from './lib/status.ts';
import { ref, waitForDeployment } from './lib/wait.ts';
import { notes, remember } from './lib/write-ahead.ts';

export const guardedDelete: StepHandler = async (
  job: Job<StepJobData>,
  ctx: StepContext,
): Promise<StepResult> => {
  if (!job.data.deleteApproved) {
    throw fail(`needs approval: add trailer Flinkops-Approve-Delete: ${ref(job)}`);
  }
  const live = await readLive(job, ctx);
  const written = notes<{ finalSavepoint: string; noState: string }>(job);
  let finalSavepoint = written.finalSavepoint ?? null;
  let noState = written.noState ?? null;
  if (!live) {
    await ctx.log(`${ref(job)} is already gone`);
    return {
      action: 'guarded-delete',
      summary: `${ref(job)} already gone${finalSavepoint ? `; final savepoint ${finalSavepoint}` : ''}`,
      ...(finalSavepoint ? { savepointPath: finalSavepoint } : {}),
      skipped: true,
    };
  }

  if (!finalSavepoint && !noState && !live.metadata.deletionTimestamp) {
    noState = neverRan(live);
    if (noState) {
      await ctx.log(`${ref(job)} holds no state: ${noState} (${describe(live)}); no final savepoint needed`);
      await remember(job, { noState });
    }
  }
  if (!finalSavepoint && !noState && !isSessionCluster(live) && !live.metadata.deletionTimestamp) {
    if (isSuspendedNow(live) && suspendedWithLastState(live)) {
      // its state is the checkpoint the HA metadata points at, which the delete removes; an older
      // upgradeSavepointPath (or the operator's last-state dummy) is not that state
      throw fail(
        `refusing to delete ${ref(job)}: it is suspended with upgradeMode last-state, so its state is only in the HA metadata that deleting removes (${describe(live)}); resume it (job.state: running) or suspend it with upgradeMode: savepoint first, then delete it`,
      );
    }
    if (isSuspendedNow(live)) {
      // A suspended job's last savepoint is its final state; asking for a new one would need a restart.
      const path = upgradeSavepointPath(live);
      if (!isRealSavepointPath(path)) {
        throw fail(
          `refusing to delete ${ref(job)}: it is suspended without a savepoint path (${describe(live)}); its state would be lost`,
        );
      }
      finalSavepoint = path;
      await ctx.log(`${ref(job)} is suspended; its final state is savepoint ${path}`);
    } else if (jobState(live) === 'RUNNING') {
      await ctx.progress(10, `taking a final savepoint of ${ref(job)}`);
      finalSavepoint = await takeManualSavepoint(job, ctx, {
        pct: 20,
        timeoutMs: ctx.config.timeouts['guarded-delete'],
      });
    } else {
      throw fail(
        `refusing to delete ${ref(job)}: no final savepoint can be taken while it has ${describe(live)}`,
      );
    }
    await recordSavepoint(job, ctx, 'guarded-delete', finalSavepoint);
    await remember(job, { finalSavepoint });
  }

  await ctx.progress(70, `deleting ${ref(job)}`);
  await ctx.log(
    `deleting ${ref(job)}${finalSavepoint ? ` (final savepoint ${finalSavepoint} is in the ledger)` : noState ? ' (no state existed)' : ' (session cluster: no job state)'}`,
  );
  try {
    await ctx.cluster.delete(job.data.namespace, job.data.name);
  } catch (err) {
    throw classify(err, `deleting ${ref(job)}`);
  }
  await waitForDeployment(job, ctx, {
    what: 'the object to be gone',
    check: (obj) => obj === null,
    timeoutMs: ctx.config.timeouts['guarded-delete'],
    pct: 80,
  });
  await ctx.progress(100, `${ref(job)} deleted`);
  return {
    action: 'guarded-delete',
    summary: `deleted ${ref(job)}${finalSavepoint ? ` after final savepoint ${finalSavepoint}` : noState ? ` without a final savepoint: ${noState}, so no state existed` : ''}`,
    ...(finalSavepoint ? { savepointPath: finalSavepoint } : {}),
  };
};
