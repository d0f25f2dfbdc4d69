// savepoint-suspend: stop the job with a savepoint (job.state=suspended, upgradeMode=savepoint) and
// record that savepoint in the ledger. The upgrade step after it refuses to run without this record.
import type { Job } from 'bullmq';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { fail } from './lib/errors.ts';
import { recordSavepoint } from './lib/record.ts';
import { suspendJob } from './lib/suspend.ts';
import { ref } from './lib/wait.ts';

export const savepointSuspend: StepHandler = async (
  job: Job<StepJobData>,
  ctx: StepContext,
): Promise<StepResult> => {
  await ctx.progress(5, `suspending ${ref(job)} with a savepoint`);
  const outcome = await suspendJob(job, ctx, {
    upgradeMode: 'savepoint',
    requireNewSavepoint: true,
    timeoutMs: ctx.config.timeouts['savepoint-suspend'],
  });
  if (!outcome.savepointPath) {
    throw fail(
      `${ref(job)} is suspended but the operator reports no savepoint for it (upgradeSavepointPath missing or last-state); ` +
        'nothing is recorded, so later steps that need a savepoint will not run',
    );
  }
  await recordSavepoint(job, ctx, 'savepoint-suspend', outcome.savepointPath);
  await ctx.progress(100, `suspended with savepoint ${outcome.savepointPath}`);
  return {
    action: 'savepoint-suspend',
    summary: `${outcome.alreadySuspended ? 'found' : 'suspended'} ${ref(job)} with savepoint ${outcome.savepointPath}`,
    savepointPath: outcome.savepointPath,
    ...(outcome.alreadySuspended ? { skipped: true } : {}),
  };
};
