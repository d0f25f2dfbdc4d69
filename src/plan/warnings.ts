// Warning codes of a plan (UPPER_SNAKE, stable: reviewers and tools match on them) and their messages.
import type { PlanWarning } from './types.ts';

export const WARNING_CODES = {
  /** a step discards the job's state (stateless upgrade/suspend, savepoint redeploy, delete without savepoint) */
  STATE_DISCARDED: 'STATE_DISCARDED',
  /** initialSavepointPath set/changed on an existing deployment: ignored on resume/upgrade */
  INITIAL_SAVEPOINT_IGNORED: 'INITIAL_SAVEPOINT_IGNORED',
  /** a savepoint-mode suspend deletes the earlier checkpoints */
  CHECKPOINTS_PURGED_ON_SUSPEND: 'CHECKPOINTS_PURGED_ON_SUSPEND',
  /** the operator cannot do a last-state upgrade here; a savepoint is planned instead */
  LAST_STATE_NOT_POSSIBLE: 'LAST_STATE_NOT_POSSIBLE',
  UPGRADE_MODE_CHANGED: 'UPGRADE_MODE_CHANGED',
  ALLOW_NON_RESTORED_STATE: 'ALLOW_NON_RESTORED_STATE',
  DELETE_NEEDS_APPROVAL: 'DELETE_NEEDS_APPROVAL',
  /** a new deployment restores from a savepoint in NO_CLAIM mode: its first checkpoint is a full one */
  NO_CLAIM_RESTORE: 'NO_CLAIM_RESTORE',
  /** create without initialSavepointPath while the ledger knows a savepoint of that deployment */
  RESTORE_FROM_LEDGER: 'RESTORE_FROM_LEDGER',
  /** state.savepoints.dir / state.checkpoints.dir missing for what the plan needs: the operator rejects it */
  STATE_DIR_MISSING: 'STATE_DIR_MISSING',
  /** a session cluster restarts: the FlinkSessionJobs on it restart too */
  SESSION_JOBS_RESTART: 'SESSION_JOBS_RESTART',
  /** deleting a session cluster stops every FlinkSessionJob on it */
  SESSION_JOBS_STOPPED: 'SESSION_JOBS_STOPPED',
  /** switching between session and application cluster is rejected by the operator */
  CLUSTER_TYPE_CHANGE_REJECTED: 'CLUSTER_TYPE_CHANGE_REJECTED',
  /** native <-> standalone switch is rejected by the operator */
  MODE_CHANGE_REJECTED: 'MODE_CHANGE_REJECTED',
  /** savepointRedeployNonce set without initialSavepointPath: rejected by the operator */
  REDEPLOY_WITHOUT_SAVEPOINT_PATH: 'REDEPLOY_WITHOUT_SAVEPOINT_PATH',
  /** live mode: the job is not running (FAILED/FINISHED/CANCELED), so no savepoint can be taken first */
  JOB_NOT_RUNNING: 'JOB_NOT_RUNNING',
  /** savepointTriggerNonce changed on a suspended job: the operator only fires it while the job runs */
  SAVEPOINT_TRIGGER_WHILE_SUSPENDED: 'SAVEPOINT_TRIGGER_WHILE_SUSPENDED',
  /** the manifest was invalid at base: what runs is not known from the range; flinkops plans against the live object */
  BASE_INVALID: 'BASE_INVALID',
  /** the operator's validator refuses the new spec (a rule without a warning of its own above) */
  OPERATOR_REJECTS: 'OPERATOR_REJECTS',
  /** the guarded-delete step will refuse (a last-state-suspended job: its state would go with the delete) */
  DELETE_REFUSED: 'DELETE_REFUSED',
  /** a spec field the CRD does not define: the API server drops it, so it changes nothing */
  UNKNOWN_FIELD: 'UNKNOWN_FIELD',
} as const;

export type WarningCode = keyof typeof WARNING_CODES;

export function warning(code: WarningCode, message: string): PlanWarning {
  return { code, message };
}
