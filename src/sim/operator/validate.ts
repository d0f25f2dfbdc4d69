// The operator's DefaultValidator, for the rules that shape lifecycles (section 7). Returns the first
// problem in the operator's own words, or null.
import type { FlinkDeploymentSpec } from '../../manifests/types.ts';
import { checkpointsDirOf, savepointsDirOf } from './runtime.ts';
import { confBool, flatConfig, haEnabled, type ReconciledSpec, upgradeModeOf } from './spec.ts';

const FORBIDDEN_KEYS = ['kubernetes.namespace', 'kubernetes.cluster-id', 'high-availability.cluster-id'];

export function validateDeployment(
  spec: FlinkDeploymentSpec,
  last: ReconciledSpec | undefined,
): string | null {
  if (!spec.flinkVersion) return 'Flink Version must be defined.';
  const config = flatConfig(spec);
  for (const key of FORBIDDEN_KEYS) {
    if (key in config) return `Forbidden Flink config key: ${key}`;
  }
  if (last) {
    const lastSpec = last.spec;
    if (lastSpec.job != null && spec.job == null) return 'Cannot switch from job to session cluster';
    if (lastSpec.job == null && spec.job != null) return 'Cannot switch from session to job cluster';
    const lastMode = lastSpec.mode ?? 'native';
    const mode = spec.mode ?? 'native';
    if (lastMode !== mode) return `Cannot switch from ${lastMode} to ${mode} mode`;
  }
  if (confBool(spec, 'kubernetes.operator.deployment.rollback.enabled', false) && !haEnabled(spec)) {
    return 'HA must be enabled for rollback support.';
  }
  const job = spec.job;
  if (job == null) return null;
  const replicasSet = (spec.taskManager as { replicas?: number } | undefined)?.replicas != null;
  if (job.parallelism !== undefined && job.parallelism !== null && job.parallelism <= 0 && !replicasSet) {
    return 'Job parallelism must be larger than 0';
  }
  if (job.state !== undefined && job.state !== 'running' && job.state !== 'suspended') {
    return `Invalid job state: ${String(job.state)}`;
  }
  const mode = upgradeModeOf(spec);
  if ((mode === 'last-state' || mode === 'savepoint') && !checkpointsDirOf(spec)) {
    return 'Checkpoint directory[state.checkpoints.dir] must be defined for last-state and savepoint upgrade modes';
  }
  if (mode === 'savepoint' && !savepointsDirOf(spec)) {
    return 'Job could not be upgraded with savepoint while config key[state.savepoints.dir] is not set';
  }
  const lastJob = last?.spec.job;
  if (job.savepointTriggerNonce != null && job.savepointTriggerNonce !== lastJob?.savepointTriggerNonce) {
    if (!savepointsDirOf(spec)) {
      return 'Savepoint could not be manually triggered for the running job while config key[state.savepoints.dir] is not set';
    }
  }
  if (job.savepointRedeployNonce != null && job.savepointRedeployNonce !== lastJob?.savepointRedeployNonce) {
    if (!job.initialSavepointPath) return 'InitialSavepointPath must not be empty for savepoint redeployment';
  }
  if (
    last &&
    lastJob &&
    (lastJob.state ?? 'running') === 'suspended' &&
    lastJob.upgradeMode === 'last-state' &&
    last.spec.flinkVersion !== spec.flinkVersion
  ) {
    return 'Changing flinkVersion after last-state suspend is not allowed. Restore your job with the current flinkVersion before changing it.';
  }
  return null;
}
