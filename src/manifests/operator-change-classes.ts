// The operator's spec-change classes per field (reference/flink-operator.md section 1, DiffType). One
// table for the planner (what a change will do) and the simulator (what the operator does with it):
// the two must never disagree.

export type ChangeClass = 'IGNORE' | 'SCALE' | 'UPGRADE' | 'SAVEPOINT_REDEPLOY';

/** spec.job fields the operator applies without touching the running job */
export const IGNORED_JOB_FIELDS: ReadonlySet<string> = new Set([
  'upgradeMode',
  'savepointTriggerNonce',
  'checkpointTriggerNonce',
  'initialSavepointPath',
  'allowNonRestoredState',
  'autoscalerResetNonce',
]);

/** The class of a change to one (flattened) flinkConfiguration key. */
export function configKeyClass(key: string): Exclude<ChangeClass, 'SAVEPOINT_REDEPLOY'> {
  if (
    key.startsWith('kubernetes.operator.') ||
    key.startsWith('job.autoscaler.') ||
    key === 'parallelism.default'
  ) {
    return 'IGNORE';
  }
  // SCALE in native mode (in-place rescale where supported)
  if (key === 'pipeline.jobvertex-parallelism-overrides') return 'SCALE';
  return 'UPGRADE';
}
