// Every savepoint a step takes or observes goes to the ledger before the step reports success, so
// the next step (upgrade) and a later re-create can rely on it even after Redis is gone.
import type { Job } from 'bullmq';
import type { LedgerEntry } from '../../src/ledger/types.ts';
import type { StepContext } from '../../src/queue/step-handler.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import { classify } from './errors.ts';
import { ref } from './wait.ts';

export async function recordSavepoint(
  job: Job<StepJobData>,
  ctx: StepContext,
  step: LedgerEntry['step'],
  path: string,
): Promise<void> {
  const { namespace, name, commit } = job.data;
  try {
    await ctx.ledger.record({
      namespace,
      name,
      path,
      takenAt: new Date().toISOString(),
      commit,
      step,
      jobId: job.id,
    });
  } catch (err) {
    throw classify(err, `recording savepoint ${path} of ${ref(job)} in the ledger`);
  }
  await ctx.log(
    `recorded savepoint ${path} of ${ref(job)} in the ledger (step ${step}, commit ${commit.slice(0, 12)})`,
  );
}
