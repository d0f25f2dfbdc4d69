// The pure planner for one deployment: (manifest before | live object | absent, manifest after | absent,
// context) -> the ordered lifecycle steps, a safety level and warnings. No I/O, no clock, no randomness.
// The rules follow reference/flink-operator.md sections 1 (change classes), 4 (transition table),
// 5 (snapshots), 7 (validation failures) and 10 (field observations); each branch names its row.
import { valueAtPath } from '../manifests/known-spec-fields.ts';
import { operatorRejection } from '../manifests/operator-validation.ts';
import { deploymentKey, type FlinkDeployment, type UpgradeMode } from '../manifests/types.ts';
import {
  atLeast,
  changedUnknownSpecFields,
  classifySpecChanges,
  hasField,
  type SpecChanges,
} from './change-classes.ts';
import { type JobFacts, jobFacts, liveJob } from './job-state.ts';
import { manifestDiff } from './manifest-diff.ts';
import type { PlanContext, PlanInput, PlanWarning, Safety, Step, StepAction, Transition } from './types.ts';
import { type WarningCode, warning } from './warnings.ts';

/** Annotation that opts a re-created deployment out of restoring from the ledger. */
export const RESTORE_ANNOTATION = 'flinkops.io/restore';

class TransitionBuilder {
  readonly steps: Step[] = [];
  readonly warnings: PlanWarning[] = [];
  stateLoss = false;
  needsApproval = false;

  step(action: StepAction, reason: string): void {
    this.steps.push({ action, reason });
  }

  warn(code: WarningCode, message: string): void {
    if (!this.warnings.some((w) => w.code === code && w.message === message))
      this.warnings.push(warning(code, message));
  }

  has(action: StepAction): boolean {
    return this.steps.some((s) => s.action === action);
  }

  get safety(): Safety {
    if (this.stateLoss) return 'state-loss';
    if (this.needsApproval) return 'needs-approval';
    return 'safe';
  }
}

export function planTransition(input: PlanInput, ctx: PlanContext): Transition | null {
  const { namespace, name, before, after } = input;
  if (!before && !after) return null;
  const b = new TransitionBuilder();
  let change: Transition['change'];
  if (!before && after) {
    change = 'create';
    planCreate(deploymentKey(namespace, name), after, ctx, b);
  } else if (before && !after) {
    change = 'delete';
    planDelete(deploymentKey(namespace, name), before, ctx, b);
  } else {
    change = 'update';
    if (!planUpdate(before!, after!, ctx, b)) return null;
  }
  if (after) {
    checkOperatorAccepts(change, before, after, b);
    for (const field of changedUnknownSpecFields(before, after)) {
      if (valueAtPath(after, field) === undefined) continue;
      b.warn(
        'UNKNOWN_FIELD',
        `${field} is not a field of FlinkDeployment (the operator's CRD): the API server drops it (kubectl apply refuses it), so it changes nothing`,
      );
    }
  }
  return {
    namespace,
    name,
    change,
    steps: b.steps,
    safety: b.safety,
    warnings: b.warnings,
    diff: manifestDiff(before, after),
  };
}

/**
 * A deployment whose manifest was invalid at base (schema violation, duplicate): nothing was applied
 * from it, so what runs is whatever was valid before, which the two revisions cannot tell. The plan
 * says so; when flinkops runs it, the poller plans against the live object instead.
 */
export function planFromInvalidBase(input: Omit<PlanInput, 'before'>, ctx: PlanContext): Transition | null {
  const { namespace, name, after } = input;
  const key = deploymentKey(namespace, name);
  const message = `the manifest of ${key} was invalid at base, so the spec that runs is not known from this range: flinkops plans it against the live object when it runs`;
  if (after) {
    const transition = planTransition({ namespace, name, before: null, after }, ctx);
    transition?.warnings.push(
      warning('BASE_INVALID', `${message} (this create is what happens if it does not exist yet)`),
    );
    return transition;
  }
  const b = new TransitionBuilder();
  b.step(
    'guarded-delete',
    'manifest removed: take a final savepoint of the live job when it runs, record it in the ledger, then delete',
  );
  b.warn('BASE_INVALID', message);
  requireDeleteApproval(key, ctx, b);
  return {
    namespace,
    name,
    change: 'delete',
    steps: b.steps,
    safety: b.safety,
    warnings: b.warnings,
    diff: [],
  };
}

/** rejections that already have a warning (and their own plan) of their own */
const REJECTION_WARNINGS = new Set<string>([
  'CLUSTER_TYPE_CHANGE_REJECTED',
  'MODE_CHANGE_REJECTED',
  'STATE_DIR_MISSING',
  'REDEPLOY_WITHOUT_SAVEPOINT_PATH',
  'LAST_STATE_NOT_POSSIBLE',
]);

/**
 * Section 7: a spec the operator's validator refuses is not applied; the operator keeps reconciling the
 * last valid one (a new deployment ends FAILED). An update then needs no stop: one upgrade step applies
 * the spec and fails with the operator's words, and nothing else happens to the job.
 */
function checkOperatorAccepts(
  change: Transition['change'],
  before: FlinkDeployment | null,
  after: FlinkDeployment,
  b: TransitionBuilder,
): void {
  const rejection = operatorRejection(after.spec ?? {}, before?.spec);
  if (!rejection || b.warnings.some((w) => REJECTION_WARNINGS.has(w.code))) return;
  if (change === 'create') {
    b.warn(
      'OPERATOR_REJECTS',
      `the operator's validator refuses this spec ("${rejection}"): the new deployment ends FAILED without starting`,
    );
    return;
  }
  // what the steps would have done (suspend, discard, restore) does not happen: only the rejection stays
  b.steps.length = 0;
  b.warnings.length = 0;
  b.stateLoss = false;
  b.warn(
    'OPERATOR_REJECTS',
    `the operator's validator refuses this spec ("${rejection}"): it keeps running the current one, so the job is not stopped`,
  );
  b.step('upgrade', 'apply the new spec (the operator is expected to reject it, see the warning)');
}

// ---------------------------------------------------------------------------------------------- create

function planCreate(key: string, after: FlinkDeployment, ctx: PlanContext, b: TransitionBuilder): void {
  const facts = jobFacts(after);
  if (facts.session) {
    b.step('create', 'new session cluster (no job of its own)');
    return;
  }
  const ledgerEntry = ctx.ledger.get(key);
  const optedOut = after.metadata?.annotations?.[RESTORE_ANNOTATION] === 'none';
  let restoreFrom: string | undefined;
  if (facts.initialSavepointPath) {
    restoreFrom = facts.initialSavepointPath;
  } else if (ledgerEntry && !optedOut) {
    restoreFrom = ledgerEntry.path;
    b.warn(
      'RESTORE_FROM_LEDGER',
      `no initialSavepointPath, but the ledger holds a savepoint of ${key} (${ledgerEntry.path}, taken ${ledgerEntry.takenAt}): ` +
        `the create step restores from it. Annotate ${RESTORE_ANNOTATION}: none to start with empty state.`,
    );
  }
  if (facts.state === 'suspended') {
    // row 3: created suspended -> the operator records the spec and starts nothing
    b.step(
      'create',
      'new FlinkDeployment created with job.state suspended: the operator records it and starts nothing',
    );
  } else if (restoreFrom) {
    b.step(
      'create',
      `new FlinkDeployment (upgradeMode ${facts.upgradeMode}) started from savepoint ${restoreFrom}`,
    );
  } else {
    b.step('create', `new FlinkDeployment (upgradeMode ${facts.upgradeMode}) started with empty state`);
  }
  if (restoreFrom) {
    b.warn(
      'NO_CLAIM_RESTORE',
      `a new deployment restores from ${restoreFrom} in NO_CLAIM mode: quick to start, but its first checkpoint is a full one`,
    );
    warnAllowNonRestored(facts, b);
  }
  checkStateDirs(facts, facts.upgradeMode, b);
}

// ---------------------------------------------------------------------------------------------- delete

function planDelete(key: string, before: FlinkDeployment, ctx: PlanContext, b: TransitionBuilder): void {
  const facts = jobFacts(before);
  const approved = ctx.approvedDeletes.has(key);
  if (facts.session) {
    b.step('guarded-delete', 'manifest removed: delete the session cluster (it has no job state of its own)');
    b.warn('SESSION_JOBS_STOPPED', 'deleting a session cluster stops every FlinkSessionJob running on it');
  } else {
    const running = ctx.live ? liveJob(before).state === 'running' : facts.state === 'running';
    b.step(
      'guarded-delete',
      running
        ? 'manifest removed: take a final savepoint, record it in the ledger, then delete (a plain delete keeps no state pointer)'
        : "manifest removed: record the suspended job's last savepoint in the ledger, then delete",
    );
    if (running && !facts.savepointsDir) {
      b.warn(
        'STATE_DIR_MISSING',
        'no state.savepoints.dir: no final savepoint can be taken before the delete',
      );
      if (approved) {
        b.warn('STATE_DISCARDED', `${key} is deleted without a final savepoint: its state is lost`);
        b.stateLoss = true;
      }
    } else if (!running && facts.upgradeMode === 'last-state') {
      // rows 6 and 19: a last-state suspend takes no savepoint; its checkpoint pointer lives in the HA
      // metadata, which the delete removes with the CR. The guarded-delete step refuses, approval or not.
      b.needsApproval = true;
      b.warn(
        'DELETE_REFUSED',
        `${key} is suspended with upgradeMode last-state: no savepoint holds its state, only HA metadata that the delete would remove, so the guarded delete refuses; resume it (job.state: running) or suspend it with upgradeMode savepoint first, then delete it`,
      );
    }
  }
  requireDeleteApproval(key, ctx, b);
}

function requireDeleteApproval(key: string, ctx: PlanContext, b: TransitionBuilder): void {
  if (ctx.approvedDeletes.has(key)) return;
  b.needsApproval = true;
  b.warn(
    'DELETE_NEEDS_APPROVAL',
    `deleting ${key} needs approval: add the trailer "Flinkops-Approve-Delete: ${key}" to a commit in the range`,
  );
}

// ---------------------------------------------------------------------------------------------- update

/** Returns false when before and after are semantically equal (no transition). */
function planUpdate(
  before: FlinkDeployment,
  after: FlinkDeployment,
  ctx: PlanContext,
  b: TransitionBuilder,
): boolean {
  const changes = classifySpecChanges(before, after);
  const was = jobFacts(before);
  const now = jobFacts(after);
  const live = ctx.live ? liveJob(before) : null;
  const stateBefore = live ? live.state : was.state;
  if (changes.fields.length === 0 && stateBefore === now.state) return false;

  if (was.session || now.session) {
    planSessionUpdate(was, now, changes, b);
    return true;
  }
  if (was.mode !== now.mode) {
    // the operator's validator rejects the spec and keeps running the old one: stopping the job first
    // would leave it suspended for a change that never happens
    b.warn(
      'MODE_CHANGE_REJECTED',
      `spec.mode changes from ${was.mode} to ${now.mode}: the operator rejects switching between native and standalone; delete and re-create instead`,
    );
    b.step(
      'upgrade',
      'apply the new spec (the operator is expected to reject it, see the warning); the job is not stopped',
    );
    return true;
  }
  if (was.upgradeMode !== now.upgradeMode) {
    b.warn(
      'UPGRADE_MODE_CHANGED',
      `upgradeMode changes from ${was.upgradeMode} to ${now.upgradeMode}: the operator uses ${now.upgradeMode} at the next upgrade (changing it alone restarts nothing)`,
    );
  }
  if (
    hasField(changes, 'spec.job.initialSavepointPath') &&
    now.initialSavepointPath &&
    changes.max !== 'SAVEPOINT_REDEPLOY'
  ) {
    b.warn(
      'INITIAL_SAVEPOINT_IGNORED',
      `initialSavepointPath is set to ${now.initialSavepointPath} on a deployment that already exists: the operator ignores it on resume and upgrade (only a savepointRedeployNonce change uses it)`,
    );
  }

  if (changes.max === 'SAVEPOINT_REDEPLOY') {
    planSavepointRedeploy(stateBefore, live?.terminalState ?? null, now, b);
  } else if (stateBefore === 'running' && now.state === 'running') {
    planRunningUpdate(was, now, changes, live?.terminalState ?? null, b);
  } else if (stateBefore === 'running' && now.state === 'suspended') {
    planSuspend(was, now, changes, live?.terminalState ?? null, b);
  } else if (stateBefore === 'suspended' && now.state === 'running') {
    planResume(was, now, changes, b);
  } else {
    planSuspendedEdit(was, changes, b);
  }
  if (now.allowNonRestoredState && (b.has('resume') || b.has('savepoint-suspend') || b.has('suspend'))) {
    warnAllowNonRestored(now, b);
  }
  return true;
}

/** Session clusters: no job state, so no savepoint steps; a restart restarts their session jobs (row 13). */
function planSessionUpdate(was: JobFacts, now: JobFacts, changes: SpecChanges, b: TransitionBuilder): void {
  if (was.session !== now.session) {
    b.warn(
      'CLUSTER_TYPE_CHANGE_REJECTED',
      `spec.job is ${now.session ? 'removed' : 'added'}: the operator rejects switching between session and application clusters ("Cannot switch from job to session cluster"); delete and re-create instead`,
    );
    b.step('upgrade', 'apply the new spec (the operator is expected to reject it, see the warning)');
    return;
  }
  if (atLeast(changes.max, 'SCALE')) {
    b.step(
      'upgrade',
      `apply the new session cluster spec (${fieldList(changes, 'SCALE')}): the cluster restarts`,
    );
    b.warn(
      'SESSION_JOBS_RESTART',
      'the session cluster restarts: every FlinkSessionJob on it restarts with it',
    );
  } else {
    b.step('upgrade', `apply changes the operator takes without a restart (${fieldList(changes, 'IGNORE')})`);
  }
}

/** Row 18: the running job's state is discarded in favour of initialSavepointPath. */
function planSavepointRedeploy(
  stateBefore: 'running' | 'suspended',
  terminalState: string | null,
  now: JobFacts,
  b: TransitionBuilder,
): void {
  if (stateBefore === 'running' && !terminalState && now.savepointsDir && now.initialSavepointPath) {
    b.step(
      'savepoint',
      "keep a copy of the running job's state in the ledger before the redeploy discards it",
    );
  }
  if (!now.initialSavepointPath) {
    // rejected by the operator's validator: nothing is redeployed and nothing is lost
    b.step(
      'upgrade',
      'savepointRedeployNonce changed without initialSavepointPath: apply the new spec (the operator is expected to reject it, see the warning)',
    );
    b.warn(
      'REDEPLOY_WITHOUT_SAVEPOINT_PATH',
      'savepointRedeployNonce without initialSavepointPath: the operator rejects it ("InitialSavepointPath must not be empty for savepoint redeployment") and keeps the job as it is',
    );
    return;
  }
  const source = now.initialSavepointPath;
  b.step(
    'upgrade',
    stateBefore === 'running'
      ? `savepointRedeployNonce changed: the operator cancels the job statelessly and redeploys from ${source}`
      : `savepointRedeployNonce changed: the operator discards the suspended job's state and records ${source} as the state to start from`,
  );
  b.stateLoss = true;
  b.warn(
    'STATE_DISCARDED',
    `the job's current state is discarded in favour of initialSavepointPath ${source}`,
  );
  b.warn(
    'NO_CLAIM_RESTORE',
    `the redeploy restores from ${source} in NO_CLAIM mode: its first checkpoint is a full one`,
  );
}

/** Running before and after: rows 13-17 (restart per upgradeMode) or 5/16 (nonces, IGNORE-only). */
function planRunningUpdate(
  was: JobFacts,
  now: JobFacts,
  changes: SpecChanges,
  terminalState: string | null,
  b: TransitionBuilder,
): void {
  // row 15: in place only where the operator can (standalone with the reactive scheduler); otherwise a
  // SCALE change is an upgrade like any other
  const inPlaceScale = changes.max === 'SCALE' && now.mode === 'standalone' && now.reactive && was.reactive;
  const restart = atLeast(changes.max, 'UPGRADE') || (changes.max === 'SCALE' && !inPlaceScale);
  const savepointNonce =
    hasField(changes, 'spec.job.savepointTriggerNonce') && now.savepointTriggerNonce !== null;
  if (!restart) {
    if (savepointNonce) {
      b.step(
        'savepoint',
        'savepointTriggerNonce changed: the operator takes a manual savepoint of the running job',
      );
      checkSavepointDir(now, b);
    }
    // a removed nonce (null) fires nothing, but it is still applied so the live spec follows the manifest
    const rest = changes.fields.filter(
      (f) => f.field !== 'spec.job.savepointTriggerNonce' || !savepointNonce,
    );
    if (rest.length > 0) {
      b.step(
        'upgrade',
        inPlaceScale
          ? `rescale in place (${fieldList(changes, 'SCALE')}, standalone mode, reactive scheduler): the job keeps running`
          : `apply changes the operator takes without a restart (${rest.map((f) => f.field).join(', ')}): the job keeps running`,
      );
    }
    return;
  }
  const reason = restartReason(changes);
  if (terminalState) {
    b.warn(
      'JOB_NOT_RUNNING',
      `the job is ${terminalState}: nothing to stop and no savepoint can be taken; the operator upgrades from the last checkpoint or savepoint it observed`,
    );
    b.step('upgrade', `${reason}: apply the new spec to the ${terminalState} job`);
    if (now.upgradeMode === 'stateless')
      discardState(b, 'a stateless upgrade starts the new spec with empty state');
    return;
  }
  if (savepointNonce && now.upgradeMode !== 'savepoint') {
    b.step('savepoint', 'savepointTriggerNonce changed: take the requested savepoint before the upgrade');
    checkSavepointDir(now, b);
  }
  if (now.upgradeMode === 'stateless') {
    b.step(
      'upgrade',
      `${reason}: stateless upgrade, the operator cancels the job and starts the new spec with empty state`,
    );
    discardState(b, 'upgradeMode stateless: the upgrade starts the job with empty state');
    return;
  }
  stopStep(was, now, changes, `${reason}: stop the job keeping its state`, b);
  b.step('upgrade', `${reason}: apply the new spec while the job is suspended`);
  b.step('resume', 'set job.state=running: the operator restores from the state kept by the suspend');
  checkStateDirs(now, now.upgradeMode, b);
}

/** Rows 4-7: running -> suspended, by upgradeMode; other edits are applied while suspended (row 12). */
function planSuspend(
  was: JobFacts,
  now: JobFacts,
  changes: SpecChanges,
  terminalState: string | null,
  b: TransitionBuilder,
): void {
  if (terminalState) {
    b.warn('JOB_NOT_RUNNING', `the job is ${terminalState}: it is marked suspended without a savepoint`);
    b.step('suspend', `job.state -> suspended on a ${terminalState} job: nothing to stop`);
  } else if (now.upgradeMode === 'stateless') {
    b.step('suspend', 'job.state -> suspended with upgradeMode stateless: the operator cancels the job');
    discardState(b, 'a stateless suspend cancels the job without a savepoint: its state is discarded');
  } else {
    stopStep(was, now, changes, 'job.state -> suspended', b);
    checkStateDirs(now, now.upgradeMode, b);
  }
  if (changes.fields.length > 0) {
    b.step(
      'upgrade',
      `apply the other changes (${changes.fields.map((f) => f.field).join(', ')}) while the job is suspended`,
    );
  }
}

/** Row 11: suspended -> running, after applying any edits. */
function planResume(was: JobFacts, now: JobFacts, changes: SpecChanges, b: TransitionBuilder): void {
  if (changes.fields.length > 0) {
    b.step(
      'upgrade',
      `apply the changes (${changes.fields.map((f) => f.field).join(', ')}) while the job is still suspended`,
    );
  }
  if (hasField(changes, 'spec.flinkVersion') && was.upgradeMode === 'last-state') {
    b.warn(
      'LAST_STATE_NOT_POSSIBLE',
      'flinkVersion changes after a last-state suspend: the operator rejects it ("Changing flinkVersion after last-state suspend is not allowed"); resume first, then upgrade with a savepoint',
    );
  }
  if (now.upgradeMode === 'stateless') {
    // row 11: the new spec's stateless overrides the restore to empty state, whatever the suspend kept
    // (a job suspended in savepoint or last-state mode whose upgradeMode was set to stateless later too)
    b.step(
      'resume',
      'set job.state=running: upgradeMode stateless makes the operator start with empty state',
    );
    discardState(
      b,
      was.upgradeMode === 'stateless'
        ? 'upgradeMode stateless: the resume starts with empty state; a savepoint or checkpoint kept by an earlier suspend in another mode is not used'
        : `upgradeMode changed from ${was.upgradeMode} to stateless: the resume ignores the kept state`,
    );
    return;
  }
  b.step(
    'resume',
    'set job.state=running: the operator restores from the last savepoint or checkpoint (CLAIM mode; initialSavepointPath is ignored)',
  );
  checkStateDirs(now, now.upgradeMode, b);
}

/** Row 12: the job stays suspended; the operator records the new spec and starts nothing. */
function planSuspendedEdit(was: JobFacts, changes: SpecChanges, b: TransitionBuilder): void {
  if (hasField(changes, 'spec.job.savepointTriggerNonce')) {
    b.warn(
      'SAVEPOINT_TRIGGER_WHILE_SUSPENDED',
      'savepointTriggerNonce changed on a suspended job: the operator only takes nonce savepoints while the job runs',
    );
  }
  if (hasField(changes, 'spec.flinkVersion') && was.upgradeMode === 'last-state') {
    b.warn(
      'LAST_STATE_NOT_POSSIBLE',
      'flinkVersion changes after a last-state suspend: the operator rejects it ("Changing flinkVersion after last-state suspend is not allowed")',
    );
  }
  b.step(
    'upgrade',
    `the job stays suspended: record the new spec (${changes.fields.map((f) => f.field).join(', ')}); nothing is started`,
  );
}

// ---------------------------------------------------------------------------------------------- helpers

/**
 * The stop step before an upgrade or for a suspend, by the head's upgradeMode (the operator reads the new
 * spec's mode at the next UPGRADE). last-state is impossible across a Flink version change (row 14) or
 * without high availability (no HA metadata keeps the checkpoint): plan a savepoint instead.
 */
function stopStep(
  was: JobFacts,
  now: JobFacts,
  changes: SpecChanges,
  reason: string,
  b: TransitionBuilder,
): void {
  let mode: UpgradeMode = now.upgradeMode;
  if (mode === 'last-state') {
    if (hasField(changes, 'spec.flinkVersion')) {
      b.warn(
        'LAST_STATE_NOT_POSSIBLE',
        `flinkVersion changes from ${was.flinkVersion} to ${now.flinkVersion}: a last-state restore across Flink versions is not possible, a savepoint is taken instead`,
      );
      mode = 'savepoint';
    } else if (!was.highAvailability || !now.highAvailability) {
      // the stop keeps the checkpoint in the running cluster's HA metadata, and the new spec must read it
      b.warn(
        'LAST_STATE_NOT_POSSIBLE',
        !was.highAvailability
          ? 'upgradeMode last-state, but the running deployment has no high-availability: no HA metadata keeps its checkpoint, a savepoint is taken instead'
          : 'upgradeMode last-state without high-availability in the new spec: it could not restore from HA metadata, a savepoint is taken instead',
      );
      mode = 'savepoint';
    }
  }
  if (mode === 'savepoint') {
    b.step('savepoint-suspend', `${reason} (stop-with-savepoint, recorded in the ledger)`);
    b.warn(
      'CHECKPOINTS_PURGED_ON_SUSPEND',
      'a savepoint-mode suspend deletes the earlier checkpoints, even with RETAIN_ON_CANCELLATION: the savepoint is the only restore point',
    );
    checkSavepointDir(now, b);
  } else {
    b.step('suspend', `${reason} (last-state: HA metadata keeps the latest checkpoint)`);
  }
}

function discardState(b: TransitionBuilder, message: string): void {
  b.stateLoss = true;
  b.warn('STATE_DISCARDED', message);
}

function warnAllowNonRestored(facts: JobFacts, b: TransitionBuilder): void {
  if (!facts.allowNonRestoredState) return;
  b.warn(
    'ALLOW_NON_RESTORED_STATE',
    'allowNonRestoredState is true: state of operators missing from the new job graph is silently dropped on restore',
  );
}

/** Operator validation (section 7): checkpoint dir for last-state/savepoint, savepoint dir for savepoint mode. */
function checkStateDirs(facts: JobFacts, mode: UpgradeMode, b: TransitionBuilder): void {
  if ((mode === 'last-state' || mode === 'savepoint') && !facts.checkpointsDir) {
    b.warn(
      'STATE_DIR_MISSING',
      `upgradeMode ${mode} without state.checkpoints.dir: the operator will reject it ("Checkpoint directory[state.checkpoints.dir] must be defined for last-state and savepoint upgrade modes")`,
    );
  }
  if (mode === 'savepoint') checkSavepointDir(facts, b);
}

function checkSavepointDir(facts: JobFacts, b: TransitionBuilder): void {
  if (facts.savepointsDir) return;
  b.warn(
    'STATE_DIR_MISSING',
    'no state.savepoints.dir: the operator will reject the savepoint ("Job could not be upgraded with savepoint while config key[state.savepoints.dir] is not set")',
  );
}

function restartReason(changes: SpecChanges): string {
  if (
    hasField(changes, 'spec.restartNonce') &&
    changes.fields.filter((f) => f.changeClass !== 'IGNORE').length === 1
  ) {
    return 'restartNonce changed';
  }
  return `spec change (${fieldList(changes, 'SCALE')})`;
}

/** Fields of at least the given class, for reasons; long lists are shortened. */
function fieldList(changes: SpecChanges, min: 'IGNORE' | 'SCALE'): string {
  const names = changes.fields.filter((f) => atLeast(f.changeClass, min)).map((f) => f.field);
  return names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
}
