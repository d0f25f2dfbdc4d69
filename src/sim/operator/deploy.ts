// Starting clusters: the first deploy (rows 1-2), the restore after a suspend or as the second half of
// an upgrade (row 11), and the savepoint redeploy (row 18).
import type { FlinkDeploymentSpec } from '../../manifests/types.ts';
import {
  emit,
  flush,
  jobStatus,
  type PassContext,
  reconciled,
  reconciliation,
  recordSpec,
  withJob,
} from './context.ts';
import { deployCluster, latestCheckpoint, type RestoreSource, stopJob } from './runtime.ts';
import { isSession, upgradeModeOf } from './spec.ts';
import { ErrorTypes, errorJson } from './status.ts';

const LAST_STATE_DUMMY_PATH = 'KUBERNETES_OPERATOR_LAST_STATE';

function submit(
  ctx: PassContext,
  spec: FlinkDeploymentSpec,
  restore: RestoreSource,
  keepJobId: boolean,
): void {
  emit(ctx, 'Normal', 'Submit', 'Starting deployment');
  const jobId = deployCluster(ctx.rt, ctx.storage, { spec, now: ctx.now, restore, keepJobId });
  ctx.status.jobManagerDeploymentStatus = ctx.rt.jm;
  if (jobId) {
    const js = jobStatus(ctx);
    js.jobId = jobId;
    js.jobName = ctx.fd.metadata.name;
    js.state = 'RECONCILING';
    js.startTime = String(ctx.rt.job!.startTime);
    js.updateTime = String(ctx.rt.job!.updateTime);
  }
  if (!ctx.invalid) ctx.status.error = null;
}

/** rows 1-2: never deployed, desired running (or a session cluster) */
export function firstDeploy(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  const initial = spec.job?.initialSavepointPath || null;
  const recorded = isSession(spec)
    ? structuredClone(spec)
    : withJob(spec, { state: 'running', upgradeMode: initial ? 'savepoint' : 'stateless' });
  recordSpec(ctx, recorded, { state: 'UPGRADING', firstDeployment: true });
  flush(ctx);
  if (initial) jobStatus(ctx).upgradeSavepointPath = initial;
  // A new deployment from a savepoint restores in NO_CLAIM mode (field observation).
  submit(ctx, spec, initial ? { kind: 'path', path: initial, mode: 'NO_CLAIM' } : { kind: 'none' }, false);
  reconciliation(ctx).state = 'DEPLOYED';
  flush(ctx);
}

/** row 11: suspended -> running, restoring with the mode recorded when the job was stopped */
export function restoreJob(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  const last = reconciled(ctx)!;
  const recordedMode = last.spec.job?.upgradeMode ?? 'stateless';
  const js = jobStatus(ctx);
  let restore: RestoreSource = { kind: 'none' };
  let keepJobId = false;
  if (upgradeModeOf(spec) === 'stateless') {
    restore = { kind: 'none' };
  } else if (recordedMode === 'last-state') {
    if (!ctx.rt.ha || ctx.faults.haLost) {
      const message =
        'HA metadata is not available to restore from last state. It is possible that the job has finished or terminally failed, or the configmaps have been deleted. Manual restore required.';
      reconciliation(ctx).state = 'UPGRADING';
      ctx.status.error = errorJson(ErrorTypes.recovery, message);
      emit(ctx, 'Warning', 'RestoreFailed', message);
      flush(ctx);
      return;
    }
    restore = { kind: 'last-state' };
    keepJobId = true;
    if (latestCheckpoint(ctx.rt)) js.upgradeSavepointPath = LAST_STATE_DUMMY_PATH;
  } else if (recordedMode === 'savepoint') {
    // initialSavepointPath is ignored on resume; resume restores in CLAIM mode (field observation).
    const path = js.upgradeSavepointPath || js.savepointInfo?.lastSavepoint?.location || null;
    restore =
      path && path !== LAST_STATE_DUMMY_PATH ? { kind: 'path', path, mode: 'CLAIM' } : { kind: 'none' };
  }
  recordSpec(ctx, withJob(spec, { state: 'running' }), { state: 'UPGRADING', firstDeployment: false });
  flush(ctx);
  // any leftover JobManager (native savepoint suspend keeps it) is deleted before the new deploy
  submit(ctx, spec, restore, keepJobId);
  reconciliation(ctx).state = 'DEPLOYED';
  flush(ctx);
}

/** row 18: savepointRedeployNonce changed: drop the job's state, redeploy from initialSavepointPath */
export function savepointRedeploy(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  const path = spec.job!.initialSavepointPath!;
  emit(ctx, 'Normal', 'SpecChanged', 'SAVEPOINT_REDEPLOY change(s) detected, starting reconciliation.');
  stopJob(ctx.rt, ctx.storage, 'stateless', ctx.now, true);
  jobStatus(ctx).upgradeSavepointPath = path;
  const running = (spec.job?.state ?? 'running') === 'running';
  const recorded = withJob(spec, { upgradeMode: 'savepoint' });
  recordSpec(ctx, recorded, { state: 'UPGRADING', firstDeployment: false });
  flush(ctx);
  if (running) submit(ctx, spec, { kind: 'path', path, mode: 'NO_CLAIM' }, false);
  else jobStatus(ctx).state = 'FINISHED';
  // marked stable at once: no rollback to what came before
  recordSpec(ctx, recorded, { state: 'DEPLOYED', firstDeployment: false, stable: true });
  flush(ctx);
}

/** session clusters have no job: every UPGRADE change redeploys the JobManager */
export function redeploySession(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  emit(ctx, 'Normal', 'SpecChanged', 'UPGRADE change(s) detected, starting reconciliation.');
  stopJob(ctx.rt, ctx.storage, 'stateless', ctx.now, true);
  recordSpec(ctx, structuredClone(spec), { state: 'UPGRADING', firstDeployment: false });
  flush(ctx);
  submit(ctx, spec, { kind: 'none' }, false);
  reconciliation(ctx).state = 'DEPLOYED';
  flush(ctx);
}
