// Readers of a FlinkDeployment's status, decided the way the operator documents it
// (reference/flink-operator.md sections 2 and 7): lifecycleState is derived by the operator,
// observedGeneration lags while a spec is waiting or rejected, status.error is a JSON string.
import type { FlinkDeployment } from '../../src/manifests/types.ts';

/** The dummy path the operator reports after a last-state suspend: not a savepoint anyone can restore from. */
export const LAST_STATE_DUMMY_PATH = 'KUBERNETES_OPERATOR_LAST_STATE';

export function lifecycle(obj: FlinkDeployment | null): string | undefined {
  return obj?.status?.lifecycleState;
}

export function jobState(obj: FlinkDeployment | null): string | undefined {
  return obj?.status?.jobStatus?.state;
}

/** The operator's error message (the `message` of its JSON error), or the raw text, or null. */
export function operatorError(obj: FlinkDeployment | null): string | null {
  const raw = obj?.status?.error;
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as { message?: unknown; type?: unknown };
    if (parsed && typeof parsed.message === 'string' && parsed.message) {
      const type = typeof parsed.type === 'string' ? parsed.type.split('.').pop() : undefined;
      return type ? `${type}: ${parsed.message}` : parsed.message;
    }
  } catch {
    // plain text error: the operator's fallback format
  }
  return raw;
}

/** The operator has seen and recorded the current spec (observedGeneration copied from generation). */
export function generationObserved(obj: FlinkDeployment | null): boolean {
  if (!obj) return false;
  const generation = obj.metadata.generation;
  const observed = obj.status?.observedGeneration;
  return generation === undefined || (observed !== undefined && observed >= generation);
}

export function upgradeSavepointPath(obj: FlinkDeployment | null): string | null {
  return obj?.status?.jobStatus?.upgradeSavepointPath ?? null;
}

export function isRealSavepointPath(path: string | null | undefined): path is string {
  return typeof path === 'string' && path.length > 0 && path !== LAST_STATE_DUMMY_PATH;
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

/** One line for logs and timeout errors: what the operator currently reports. */
export function describe(obj: FlinkDeployment | null): string {
  if (!obj) return 'object not found';
  const parts = [
    `lifecycle ${lifecycle(obj) ?? 'unset'}`,
    `job ${jobState(obj) ?? 'unset'}`,
    `spec.job.state ${obj.spec.job?.state ?? 'unset'}`,
    `generation ${obj.metadata.generation ?? '?'} observed ${obj.status?.observedGeneration ?? 'none'}`,
  ];
  const error = operatorError(obj);
  if (error) parts.push(`error: ${error}`);
  return parts.join(', ');
}
