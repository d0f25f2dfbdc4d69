// What the steps read from a FlinkDeployment's status. The operator's own rules (lifecycle derivation,
// status.error parsing, the last-state dummy path) live in src/cluster/health.ts; this adds the few
// questions the steps ask on top of them.
import {
  describeStatus,
  generationObserved,
  LAST_STATE_DUMMY_PATH,
  lastReconciledRecord,
  lastReconciledSpec,
  lifecycleState,
  operatorError as parsedOperatorError,
  upgradeSavepointPath,
} from '../../src/cluster/health.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';

export { generationObserved, lastReconciledSpec, upgradeSavepointPath };

export function lifecycle(obj: FlinkDeployment | null): string | undefined {
  return lifecycleState(obj);
}

export function jobState(obj: FlinkDeployment | null): string | undefined {
  return obj?.status?.jobStatus?.state;
}

/** The operator's error as one line ("UpgradeFailureException: Savepoint failed ..."), or null. */
export function operatorError(obj: FlinkDeployment | null): string | null {
  const error = parsedOperatorError(obj);
  if (!error) return null;
  const type = error.type?.split('.').pop();
  return type ? `${type}: ${error.message}` : error.message;
}

/** A real savepoint path (upgradeSavepointPath already maps the last-state dummy to null). */
export function isRealSavepointPath(path: string | null | undefined): path is string {
  return typeof path === 'string' && path.length > 0;
}

/** A session cluster has no spec.job: there is no job state to save. */
export function isSessionCluster(obj: FlinkDeployment): boolean {
  return !obj.spec.job;
}

export function isSuspendedNow(obj: FlinkDeployment | null): boolean {
  return !!obj && obj.spec.job?.state === 'suspended' && lifecycle(obj) === 'SUSPENDED';
}

export function isRunningStable(obj: FlinkDeployment | null): boolean {
  if (!obj) return false;
  if (lifecycle(obj) !== 'STABLE' || !generationObserved(obj)) return false;
  return isSessionCluster(obj) || jobState(obj) === 'RUNNING';
}

export function isFailed(obj: FlinkDeployment | null): boolean {
  return lifecycle(obj) === 'FAILED' || jobState(obj) === 'FAILED';
}

/** One line for logs and timeout errors: what the operator currently reports, and the spec's job.state. */
export function describe(obj: FlinkDeployment | null): string {
  if (!obj) return 'object not found';
  return `${describeStatus(obj)}, spec.job.state ${obj.spec.job?.state ?? 'unset'}`;
}

/**
 * Why a job deployment never ran, so it holds no state of its own (null when it may have run). Two cases
 * (reference/flink-operator.md section 4): the operator looked at it and deployed nothing (lifecycle
 * CREATED: created with job.state suspended, row 3; or rejected before its first deploy), or its very
 * first deployment failed before the job ever ran (a bad initialSavepointPath, a job that cannot start):
 * the first deployment is all the operator did, it never saw the job RUNNING (no lastStableSpec), and no
 * checkpoint, savepoint or other restore path was ever observed. A job that ran and then failed keeps
 * checkpoints the operator could restore from: that is not this.
 */
export function neverRan(obj: FlinkDeployment): string | null {
  const status = obj.status;
  if (!status || isSessionCluster(obj)) return null; // no status: the operator has not looked at it yet
  const reconciliation = status.reconciliationStatus;
  const recorded = lastReconciledRecord(obj);
  if (!recorded) return `the operator never deployed it (lifecycle ${lifecycle(obj) ?? 'unknown'})`;
  if (recorded.resource_metadata?.firstDeployment !== true) return null;
  if (reconciliation?.lastStableSpec) return null; // observed RUNNING once
  if (jobState(obj) !== 'FAILED') return null;
  const js = status.jobStatus;
  const checkpoint = js?.checkpointInfo;
  if (checkpoint?.lastCheckpoint || checkpoint?.lastPeriodicCheckpointTimestamp) return null;
  if (js?.savepointInfo?.lastSavepoint?.location) return null;
  // the first deploy sets upgradeSavepointPath to the initialSavepointPath it starts from; any other
  // path is a checkpoint the observer saw in the job's terminal state
  const path = upgradeSavepointPath(obj);
  const initial = recorded.spec?.job?.initialSavepointPath ?? obj.spec.job?.initialSavepointPath ?? null;
  if (path && path !== initial) return null;
  return 'its first start FAILED before the job ever ran';
}

/**
 * A suspended job whose suspend kept its state in the HA metadata (last-state, the mode lastReconciledSpec
 * records for the suspend; or the operator's last-state dummy path): no savepoint holds that state, and
 * whatever upgradeSavepointPath still names is older than it.
 */
export function suspendedWithLastState(obj: FlinkDeployment): boolean {
  return (
    lastReconciledSpec(obj)?.job?.upgradeMode === 'last-state' ||
    obj.status?.jobStatus?.upgradeSavepointPath === LAST_STATE_DUMMY_PATH
  );
}
