// The operator's DefaultValidator, for the rules that shape lifecycles (reference/flink-operator.md
// section 7), in the operator's own words. One copy for the simulator (which rejects specs with it) and
// the planner (which warns with it and plans no stop for a spec the operator will refuse), so the two
// can never disagree. `last` is the spec the operator last reconciled (the planner's stand-in: the
// manifest at base, or the live object).
import {
  checkpointsDir,
  configValue,
  flattenFlinkConfiguration,
  highAvailabilityConfigured,
  savepointsDir,
} from './flink-config.ts';
import type { FlinkDeploymentSpec } from './types.ts';

const FORBIDDEN_KEYS = ['kubernetes.namespace', 'kubernetes.cluster-id', 'high-availability.cluster-id'];

/** The first problem the operator's validator reports for `spec`, or null when it accepts it. */
export function operatorRejection(
  spec: FlinkDeploymentSpec,
  last: FlinkDeploymentSpec | undefined,
): string | null {
  if (!spec.flinkVersion) return 'Flink Version must be defined.';
  const config = flattenFlinkConfiguration(spec.flinkConfiguration);
  for (const key of FORBIDDEN_KEYS) {
    if (key in config) return `Forbidden Flink config key: ${key}`;
  }
  if (last) {
    if (last.job != null && spec.job == null) return 'Cannot switch from job to session cluster';
    if (last.job == null && spec.job != null) return 'Cannot switch from session to job cluster';
    const lastMode = last.mode ?? 'native';
    const mode = spec.mode ?? 'native';
    if (lastMode !== mode) return `Cannot switch from ${lastMode} to ${mode} mode`;
  }
  const rollback = configValue(config, 'kubernetes.operator.deployment.rollback.enabled');
  if (rollback?.trim().toLowerCase() === 'true' && !highAvailabilityConfigured(config)) {
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
  const mode = job.upgradeMode ?? 'stateless';
  const checkpoints = checkpointsDir(config);
  const savepoints = savepointsDir(config);
  if ((mode === 'last-state' || mode === 'savepoint') && !checkpoints) {
    return 'Checkpoint directory[state.checkpoints.dir] must be defined for last-state and savepoint upgrade modes';
  }
  if (mode === 'savepoint' && !savepoints) {
    return 'Job could not be upgraded with savepoint while config key[state.savepoints.dir] is not set';
  }
  const lastJob = last?.job;
  if (job.savepointTriggerNonce != null && job.savepointTriggerNonce !== lastJob?.savepointTriggerNonce) {
    if (!savepoints) {
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
    last.flinkVersion !== spec.flinkVersion
  ) {
    return 'Changing flinkVersion after last-state suspend is not allowed. Restore your job with the current flinkVersion before changing it.';
  }
  return null;
}
