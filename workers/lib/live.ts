// Reading the live object, the first thing every step does (it may be re-running after a crash).
import type { Job } from 'bullmq';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import type { StepContext } from '../../src/queue/step-handler.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import { classify, fail } from './errors.ts';
import { ref } from './wait.ts';

export async function readLive(job: Job<StepJobData>, ctx: StepContext): Promise<FlinkDeployment | null> {
  try {
    return await ctx.cluster.get(job.data.namespace, job.data.name);
  } catch (err) {
    throw classify(err, `reading ${ref(job)}`);
  }
}

export async function requireLive(job: Job<StepJobData>, ctx: StepContext): Promise<FlinkDeployment> {
  const live = await readLive(job, ctx);
  if (!live) throw fail(`${ref(job)} does not exist in the cluster (step ${job.data.action})`);
  return live;
}

export async function patchLive(
  job: Job<StepJobData>,
  ctx: StepContext,
  what: string,
  build: (current: FlinkDeployment) => Record<string, unknown> | null,
): Promise<FlinkDeployment> {
  try {
    return await ctx.cluster.patch(job.data.namespace, job.data.name, build);
  } catch (err) {
    throw classify(err, `${what} (${ref(job)})`);
  }
}

/** The target manifest of a step that needs one; its absence is a planning bug, not a transient error. */
export function requireTarget(job: Job<StepJobData>): FlinkDeployment {
  if (!job.data.target) throw fail(`step ${job.data.action} of ${ref(job)} carries no target manifest`);
  return job.data.target;
}

/** Whether a later step of this transition will start the job (so this step must not). */
export function laterStepResumes(job: Job<StepJobData>): boolean {
  return job.data.transition.steps.slice(job.data.stepIndex + 1).some((s) => s.action === 'resume');
}
