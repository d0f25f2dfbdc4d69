// Turns one Transition into one BullMQ flow: a chain whose deepest child is the first step, so BullMQ
// runs the steps strictly in order (a parent runs only after its child completed). Default child
// options (no failParentOnFailure): a failed step leaves the rest waiting, and retrying it continues.
import type { FlowJob, JobsOptions } from 'bullmq';
import type { FlinkDeployment } from '../manifests/types.ts';
import type { Transition } from '../plan/types.ts';
import { stepJobId, stepJobName, transitionIdOf } from './ids.ts';
import { STEPS_QUEUE, type StepJobData } from './types.ts';

/** Everything a transition's steps need besides the plan itself. */
export interface TransitionJobInput {
  commit: string;
  transition: Transition;
  /** the manifest at head (null for a delete) */
  target: FlinkDeployment | null;
  /** the manifest or live object the transition starts from */
  previous: FlinkDeployment | null;
  deleteApproved?: boolean;
  restoreFrom?: string | null;
  /** defaults to the target's (or previous') spec.job.upgradeMode */
  expectedUpgradeMode?: StepJobData['expectedUpgradeMode'];
}

export interface StepJobPolicy {
  /** attempts for transient errors (UnrecoverableError skips the rest) */
  attempts: number;
  /** first backoff delay in ms; doubles each attempt */
  backoffMs: number;
  /**
   * completed step jobs are dropped beyond this count; optionally also after this many seconds
   * (off by default: BullMQ's age trimming scans on every completion and costs ~25% throughput)
   */
  keepCompletedCount: number;
  keepCompletedSeconds?: number;
}

export const DEFAULT_STEP_JOB_POLICY: StepJobPolicy = {
  attempts: 5,
  backoffMs: 2000,
  keepCompletedCount: 10_000,
};

export function stepJobOptions(policy: StepJobPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    // failed steps wait for a human retry (queue UI or `flinkops retry`), so they are never dropped
    removeOnFail: false,
    removeOnComplete:
      policy.keepCompletedSeconds === undefined
        ? { count: policy.keepCompletedCount }
        : { age: policy.keepCompletedSeconds, count: policy.keepCompletedCount },
  };
}

export interface BuiltFlow {
  transitionId: string;
  /** the top of the chain = the last step */
  lastJobId: string;
  jobIds: string[];
  flow: FlowJob;
}

/** Returns null for a transition with no steps (nothing to enqueue). */
export function buildTransitionFlow(
  input: TransitionJobInput,
  policy: StepJobPolicy,
  queueName = STEPS_QUEUE,
): BuiltFlow | null {
  const { transition, commit } = input;
  const steps = transition.steps;
  if (steps.length === 0) return null;
  const transitionId = transitionIdOf(commit, transition.namespace, transition.name);
  const expectedUpgradeMode =
    input.expectedUpgradeMode !== undefined
      ? input.expectedUpgradeMode
      : (input.target?.spec.job?.upgradeMode ?? input.previous?.spec.job?.upgradeMode ?? null);
  const options = stepJobOptions(policy);
  const jobIds: string[] = [];
  let node: FlowJob | undefined;
  steps.forEach((step, stepIndex) => {
    const jobId = stepJobId(transitionId, stepIndex, step.action);
    jobIds.push(jobId);
    const data: StepJobData = {
      transitionId,
      commit,
      namespace: transition.namespace,
      name: transition.name,
      stepIndex,
      stepCount: steps.length,
      action: step.action,
      reason: step.reason,
      target: input.target,
      previous: input.previous,
      expectedUpgradeMode,
      deleteApproved: input.deleteApproved ?? false,
      restoreFrom: input.restoreFrom ?? null,
      transition,
    };
    const child = node;
    node = {
      name: stepJobName(transition.namespace, transition.name, step.action, commit),
      queueName,
      data,
      opts: { ...options, jobId },
      ...(child ? { children: [child] } : {}),
    } as FlowJob;
  });
  return { transitionId, lastJobId: jobIds[jobIds.length - 1], jobIds, flow: node as FlowJob };
}
