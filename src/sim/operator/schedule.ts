// When the simulator must look at a deployment again without being told: the earliest simulated instant
// something it simulates falls due, and whether a deployment is quiet (nothing in flight, nothing wrong)
// so that periodic resyncs of large clusters can skip it.
import { SIM_DURATIONS } from './clock.ts';
import type { PassContext, StoredDeployment } from './context.ts';
import { rollbackDeadline } from './rollback.ts';
import type { ClusterRuntime } from './runtime.ts';

export function nextDueAt(rt: ClusterRuntime, fd: StoredDeployment): number | null {
  let earliest = Number.POSITIVE_INFINITY;
  const consider = (at: number | null | undefined): void => {
    if (at !== null && at !== undefined && at < earliest) earliest = at;
  };
  if (rt.jm === 'DEPLOYING') consider(rt.jmReadyAt);
  if (rt.jm === 'DEPLOYED_NOT_READY' && rt.jmReadyAt !== null) {
    consider(rt.jmReadyAt + SIM_DURATIONS.jobManagerRestReady);
  }
  if (rt.job?.state === 'RECONCILING') consider(rt.job.startsAt);
  if (rt.job?.state === 'FAILED' && rt.job.failedSeenAt != null) {
    consider(rt.job.failedSeenAt + SIM_DURATIONS.reconcileInterval);
  }
  consider(rt.stop?.dueAt);
  consider(rt.stopRetryAt);
  consider(rt.manual?.dueAt);
  consider(rt.manual?.retryAt);
  const rec = fd.status?.reconciliationStatus;
  if (
    rt.reconciledAt !== null &&
    rec?.state === 'DEPLOYED' &&
    rec.lastStableSpec !== rec.lastReconciledSpec
  ) {
    consider(rollbackDeadline({ fd, rt } as PassContext));
  }
  return earliest === Number.POSITIVE_INFINITY ? null : earliest;
}

export function isQuiet(rt: ClusterRuntime, fd: StoredDeployment): boolean {
  const status = fd.status;
  if (!status || status.error || fd.metadata.deletionTimestamp) return false;
  if (status.observedGeneration !== fd.metadata.generation) return false;
  const state = status.reconciliationStatus?.state;
  if (state !== 'DEPLOYED' && state !== 'ROLLED_BACK') return false;
  return rt.stop === null && rt.manual === null && rt.stopRetryAt === null && nextDueAt(rt, fd) === null;
}
