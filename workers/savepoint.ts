// savepoint: a manual savepoint of a running job (no restart), recorded in the ledger.
import type { Job } from 'bullmq';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { takeManualSavepoint } from './lib/manual-savepoint.ts';
import { recordSavepoint } from './lib/record.ts';
import { ref } from './lib/wait.ts';

export const savepoint: StepHandler = async (
  job: Job<StepJobData>,
  ctx: StepContext,
): Promise<StepResult> => {
  const path = await takeManualSavepoint(job, ctx, { pct: 30, timeoutMs: ctx.config.timeouts.savepoint });
  await recordSavepoint(job, ctx, 'savepoint', path);
  await ctx.progress(100, `savepoint ${path} recorded`);
  return { action: 'savepoint', summary: `took savepoint ${path} of ${ref(job)}`, savepointPath: path };
};
