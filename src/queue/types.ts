// What travels through the queue. A step job's data carries everything its worker needs, so any
// worker process on any machine can run it (design.md: durable, ordered, idempotent steps).
import type { FlinkDeployment } from '../manifests/types.ts';
import type { StepAction, Transition } from '../plan/types.ts';

export const STEPS_QUEUE = 'flinkops-steps';

export interface StepJobData {
  /** deterministic id of the whole transition: derived from (head commit, namespace/name) */
  transitionId: string;
  commit: string;
  namespace: string;
  name: string;
  stepIndex: number;
  stepCount: number;
  action: StepAction;
  reason: string;
  /** the manifest at head (null for a delete): the target spec of create/upgrade/resume */
  target: FlinkDeployment | null;
  /** the manifest the transition starts from (base or live), for rollback and diff display */
  previous: FlinkDeployment | null;
  /** the upgradeMode the plan expects the suspend to use */
  expectedUpgradeMode: 'stateless' | 'savepoint' | 'last-state' | null;
  /** guarded-delete: approved by a Flinkops-Approve-Delete trailer in the planned range */
  deleteApproved: boolean;
  /** create: restore from this ledger savepoint when the manifest sets no initialSavepointPath */
  restoreFrom: string | null;
  /** the plan's full transition, for display and for the last step's bookkeeping */
  transition: Transition;
  /**
   * Write-ahead notes the worker records (job.updateData) before acting, so a re-run after a crash
   * can tell its own work from older work (e.g. the savepoint path seen before it suspended).
   */
  progress?: Record<string, unknown>;
}

/** What a step job returns on success (shown in the queue UI and read by later steps). */
export interface StepResult {
  action: StepAction;
  /** what the worker found and did, one line */
  summary: string;
  savepointPath?: string;
  skipped?: boolean;
}
