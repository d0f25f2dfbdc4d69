// suspend: last-state suspend (job.state=suspended); the HA metadata keeps the checkpoint pointer,
// so no savepoint is needed. If the operator did report a real path, it is recorded all the same.
import type { Job } from 'bullmq';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { recordSavepoint } from './lib/record.ts';
import { suspendJob } from './lib/suspend.ts';
import { ref } from './lib/wait.ts';

export const suspend: StepHandler = async (job: Job<StepJobData>, ctx: StepContext): Promise<StepResult> => {
  await ctx.progress(5, `suspending ${ref(job)}`);
  const mode = job.data.expectedUpgradeMode === 'last-state' ? 'last-state' : null;
  const outcome = await suspendJob(job, ctx, {
    upgradeMode: mode,
    requireNewSavepoint: false,
    timeoutMs: ctx.config.timeouts.suspend,
  });
  if (outcome.savepointPath) await recordSavepoint(job, ctx, 'suspend', outcome.savepointPath);
  await ctx.progress(100, `${ref(job)} suspended`);
  return {
    action: 'suspend',
    summary: `${outcome.alreadySuspended ? 'found' : 'suspended'} ${ref(job)}`,
    ...(outcome.savepointPath ? { savepointPath: outcome.savepointPath } : {}),
    ...(outcome.alreadySuspended ? { skipped: true } : {}),
  };
};
