// status.lifecycleState is derived, never stored as truth: CommonStatus#getLifecycleState, in its order.
import type { FlinkDeploymentStatus } from '../../manifests/types.ts';
import { readReconciled } from './spec.ts';

const FAILED_JM_HINTS = [
  'Manual restore required.',
  'HA metadata is not available',
  'configmaps have been deleted',
];

export function deriveLifecycleState(
  status: FlinkDeploymentStatus,
  deletion?: 'DELETING' | 'DELETED',
): string {
  if (deletion) return deletion;
  const rec = status.reconciliationStatus ?? {};
  const last = readReconciled(rec.lastReconciledSpec);
  if (!last) return status.error ? 'FAILED' : 'CREATED';
  if (rec.state === 'UPGRADING') return 'UPGRADING';
  if (rec.state === 'ROLLING_BACK') return 'ROLLING_BACK';
  if (last.spec.job && (last.spec.job.state ?? 'running') === 'suspended') return 'SUSPENDED';
  if (status.jobStatus?.state === 'FAILED') return 'FAILED';
  const jm = status.jobManagerDeploymentStatus;
  if (
    (jm === 'MISSING' || jm === 'ERROR') &&
    FAILED_JM_HINTS.some((hint) => (status.error ?? '').includes(hint))
  ) {
    return 'FAILED';
  }
  if (rec.state === 'ROLLED_BACK') return 'ROLLED_BACK';
  return rec.lastReconciledSpec === rec.lastStableSpec ? 'STABLE' : 'DEPLOYED';
}
