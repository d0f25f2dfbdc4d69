// Stopping a running job for a suspend or an upgrade (rows 4-10, 13, 14): choose how per upgradeMode and
// what the cluster can do, take the stop-with-savepoint asynchronously (it "takes" SIM_DURATIONS.savepoint),
// and report what was actually used, which lastReconciledSpec records.
import type { FlinkDeploymentSpec, UpgradeMode } from '../../manifests/types.ts';
import { SIM_DURATIONS } from './clock.ts';
import { emit, jobStatus, type PassContext, reconciled, savepointInfoOf, specOf } from './context.ts';
import { optionalDuration } from './duration.ts';
import {
  isRunning,
  latestCheckpoint,
  type StopHow,
  type StopPending,
  savepointsDirOf,
  stopJob,
  takeSavepoint,
} from './runtime.ts';
import { recordUpgradeSnapshot } from './snapshots.ts';
import { conf, confBool, type SavepointFormat, savepointFormatOf, upgradeModeOf } from './spec.ts';
import { ErrorTypes, errorJson } from './status.ts';

export type StopResult =
  | { kind: 'stopped'; usedMode: UpgradeMode }
  | { kind: 'pending' }
  /** cannot stop now (waiting, or an error was set); observedGeneration lags */
  | { kind: 'blocked' };

const MANUAL_RESTORE =
  'Job is in terminal state but last checkpoint is unknown, possibly due to an unrecoverable restore error. Manual restore required.';

function haUsable(ctx: PassContext): boolean {
  return ctx.rt.ha !== null && !ctx.faults.haLost;
}

/** decide how to stop; null = wait */
function chooseStop(ctx: PassContext, spec: FlinkDeploymentSpec): StopHow | 'manual-restore' | null {
  const { rt } = ctx;
  const mode = upgradeModeOf(spec);
  const last = reconciled(ctx);
  const state = rt.job?.state;
  if (mode === 'stateless') return 'stateless';
  if (!rt.job || state === 'FAILED' || state === 'FINISHED' || state === 'CANCELED') {
    // row 9: nothing to stop; restore from what was observed in the terminal state
    if (jobStatus(ctx).upgradeSavepointPath) return 'cancel';
    if (mode === 'last-state' && haUsable(ctx) && latestCheckpoint(rt)) return 'last-state';
    return 'manual-restore';
  }
  if (state !== 'RUNNING') {
    // row 8: not running yet (or restarting): last-state fallback if HA can carry it, else wait
    const fallback = confBool(spec, 'kubernetes.operator.job.upgrade.last-state-fallback.enabled', true);
    if ((mode === 'last-state' || fallback) && haUsable(ctx)) return 'last-state';
    if (jobStatus(ctx).upgradeSavepointPath) return 'cancel';
    return null;
  }
  if (mode === 'savepoint') return 'savepoint';
  // last-state
  const versionChanged = last !== undefined && last.spec.flinkVersion !== spec.flinkVersion;
  if (versionChanged) return savepointsDirOf(spec) ? 'savepoint' : 'cancel'; // row 14
  const maxAge = optionalDuration(
    conf(spec, 'kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age'),
  );
  if (maxAge !== undefined) {
    const latest = latestCheckpoint(rt);
    if (!latest || ctx.now - latest.at > maxAge) return savepointsDirOf(spec) ? 'savepoint' : 'cancel'; // row 10
  }
  if (confBool(spec, 'kubernetes.operator.job.upgrade.last-state.job-cancel.enabled', false)) return 'cancel';
  return haUsable(ctx) ? 'last-state' : 'cancel'; // rows 6, 7
}

/** Stop the running job for `purpose`; call on every pass until it returns stopped or blocked. */
export function stopForChange(
  ctx: PassContext,
  spec: FlinkDeploymentSpec,
  purpose: StopPending['purpose'],
): StopResult {
  const { rt } = ctx;
  if (rt.stop) return progressSavepointStop(ctx);
  const how = chooseStop(ctx, spec);
  if (how === null) return { kind: 'blocked' };
  if (how === 'manual-restore') {
    ctx.status.error = errorJson(ErrorTypes.upgradeFailure, MANUAL_RESTORE);
    emit(ctx, 'Warning', 'UpgradeFailed', MANUAL_RESTORE);
    return { kind: 'blocked' };
  }
  const wasRunning = isRunning(rt);
  if (how === 'savepoint') {
    if (
      rt.stopRetryAt !== null &&
      ctx.now < rt.stopRetryAt &&
      rt.stopFailedWith === (ctx.faults.savepoint ?? 'none')
    ) {
      return { kind: 'blocked' };
    }
    emit(ctx, 'Normal', 'Suspended', 'Suspending existing deployment.');
    rt.stop = {
      purpose,
      spec: structuredClone(spec),
      startedAt: ctx.now,
      dueAt: ctx.faults.savepoint === 'hang' ? null : ctx.now + SIM_DURATIONS.savepoint,
    };
    return progressSavepointStop(ctx);
  }
  if (wasRunning) emit(ctx, 'Normal', 'Suspended', 'Suspending existing deployment.');
  if (how === 'cancel' && wasRunning) {
    // row 7: Flink cancel; the observer records the latest checkpoint as the restore path
    const latest = latestCheckpoint(rt);
    if (latest) jobStatus(ctx).upgradeSavepointPath = latest.path;
  }
  stopJob(rt, ctx.storage, how, ctx.now, (spec.mode ?? 'native') === 'native');
  finishStatus(ctx);
  const usedMode: UpgradeMode =
    how === 'last-state' ? 'last-state' : how === 'stateless' ? 'stateless' : 'savepoint';
  return { kind: 'stopped', usedMode };
}

/** an in-flight stop-with-savepoint: completes, fails (fault), or keeps hanging */
export function progressSavepointStop(ctx: PassContext): StopResult {
  const { rt, faults } = ctx;
  const stop = rt.stop!;
  if (stop.dueAt === null) {
    if (faults.savepoint === 'hang') return { kind: 'pending' };
    stop.dueAt = ctx.now + SIM_DURATIONS.savepoint; // fault removed: the retried savepoint goes through
  }
  if (stop.dueAt > ctx.now) return { kind: 'pending' };
  rt.stop = null;
  if (!isRunning(rt)) {
    // the job left RUNNING while the savepoint was in flight: nothing to stop with a savepoint any more
    return { kind: 'blocked' };
  }
  if (faults.savepoint === 'fail') {
    const message = `Savepoint failed for job ${rt.job?.jobId}: java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint was declined (simulated fault sim.flinkops.io/savepoint=fail)`;
    rt.stopRetryAt = ctx.now + SIM_DURATIONS.reconcileInterval;
    rt.stopFailedWith = 'fail';
    ctx.status.error = errorJson(ErrorTypes.upgradeFailure, message);
    emit(ctx, 'Warning', 'SavepointError', message);
    return { kind: 'blocked' };
  }
  const dir = savepointsDirOf(stop.spec) ?? savepointsDirOf(specOf(ctx.fd)) ?? 's3://flink/savepoints';
  const savepoint = takeSavepoint(rt, ctx.storage, dir, ctx.now);
  stopJob(rt, ctx.storage, 'savepoint', ctx.now, (stop.spec.mode ?? 'native') === 'native');
  rt.stopRetryAt = null;
  rt.stopFailedWith = null;
  const js = jobStatus(ctx);
  js.upgradeSavepointPath = savepoint.path;
  recordSavepoint(ctx, savepoint.path, 'UPGRADE', null, savepointFormatOf(stop.spec));
  finishStatus(ctx);
  return { kind: 'stopped', usedMode: 'savepoint' };
}

/**
 * UPGRADE FlinkStateSnapshot, or the legacy savepointInfo when snapshot resources are disabled; `formatType`
 * is kubernetes.operator.savepoint.format.type of the spec the savepoint was taken for.
 */
export function recordSavepoint(
  ctx: PassContext,
  path: string,
  triggerType: 'UPGRADE' | 'MANUAL',
  triggerNonce: number | null,
  formatType: SavepointFormat,
): void {
  if (snapshotResourcesEnabled(ctx)) {
    if (triggerType === 'UPGRADE') recordUpgradeSnapshot(ctx.store, ctx.fd, path, formatType);
    return;
  }
  const info = savepointInfoOf(ctx);
  const entry = { timeStamp: Date.now(), location: path, triggerType, formatType, triggerNonce };
  info.lastSavepoint = entry as NonNullable<typeof info.lastSavepoint>;
  info.savepointHistory = [...(info.savepointHistory ?? []), entry].slice(-10);
}

export function snapshotResourcesEnabled(ctx: PassContext): boolean {
  return confBool(specOf(ctx.fd), 'kubernetes.operator.snapshot.resource.enabled', true);
}

function finishStatus(ctx: PassContext): void {
  const js = jobStatus(ctx);
  if (ctx.rt.job) {
    js.state = ctx.rt.job.state;
    js.updateTime = String(ctx.rt.job.updateTime);
  }
  ctx.status.jobManagerDeploymentStatus = ctx.rt.jm;
}
