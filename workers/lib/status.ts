// What the steps read from a FlinkDeployment's status. The operator's own rules (lifecycle derivation,
// status.error parsing, the last-state dummy path) live in src/cluster/health.ts; this adds the few
// questions the steps ask on top of them.
import {
  describeStatus,
  generationObserved,
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
