// The plan contract of ../shared/design.md. Field names here are relied on by tools outside the repo.
import type { Operation } from 'fast-json-patch';
import type { FlinkDeployment, ManifestError } from '../manifests/types.ts';

export const STEP_ACTIONS = [
  'create',
  'savepoint',
  'savepoint-suspend',
  'suspend',
  'upgrade',
  'resume',
  'guarded-delete',
] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

export type ChangeKind = 'create' | 'update' | 'delete';
export type Safety = 'safe' | 'needs-approval' | 'state-loss';

export interface Step {
  action: StepAction;
  reason: string;
}

export interface PlanWarning {
  /** UPPER_SNAKE code, e.g. STATE_DISCARDED */
  code: string;
  message: string;
}

export interface Transition {
  namespace: string;
  name: string;
  change: ChangeKind;
  steps: Step[];
  safety: Safety;
  warnings: PlanWarning[];
  diff: Operation[];
}

export interface Plan {
  base: string;
  head: string;
  transitions: Transition[];
  errors: ManifestError[];
}

/** A savepoint flinkops knows about (from the ledger), handed to the planner as plain data. */
export interface LedgerSavepoint {
  path: string;
  /** ISO-8601 */
  takenAt: string;
  commit?: string;
  step?: string;
}

/** Everything outside the two manifests that the pure planner may consider. */
export interface PlanContext {
  /** namespace/name keys approved for deletion by a Flinkops-Approve-Delete trailer in base..head */
  approvedDeletes: ReadonlySet<string>;
  /** newest ledger savepoint per namespace/name */
  ledger: ReadonlyMap<string, LedgerSavepoint>;
  /**
   * Live mode: `before` is the live object's spec (not a manifest at a commit) and `liveStatus`
   * tells whether its job currently runs. Used after force-pushes and for superseded transitions.
   */
  live?: boolean;
}

export interface PlanInput {
  namespace: string;
  name: string;
  before: FlinkDeployment | null;
  after: FlinkDeployment | null;
}
