// One reconcile pass over one FlinkDeployment: observe -> validate -> reconcile, status as write-ahead log.
import type { FlinkDeploymentSpec } from '../../manifests/types.ts';
import { SIM_DURATIONS } from './clock.ts';
import {
  emit,
  FINALIZER,
  flush,
  jobStatus,
  type PassContext,
  reconciled,
  reconciliation,
  recordSpec,
  specOf,
  withJob,
} from './context.ts';
import { handleDeletion } from './deletion.ts';
import { firstDeploy, redeploySession, restoreJob, savepointRedeploy } from './deploy.ts';
import { progressManualSavepoint, triggerManualSavepoint } from './manual-savepoint.ts';
import { observe } from './observe.ts';
import { rollBack, shouldRollBack } from './rollback.ts';
import { deployCluster, type RestoreSource, stopJob } from './runtime.ts';
import { confBool, diffSpecs, isSession, jobStateOf } from './spec.ts';
import { ErrorTypes, errorJson, writeMetadata } from './status.ts';
import { type StopResult, stopForChange } from './suspend.ts';
import { validateDeployment } from './validate.ts';

export function reconcilePass(ctx: PassContext): void {
  if (ctx.fd.metadata.deletionTimestamp) {
    handleDeletion(ctx);
    return;
  }
  if (!(ctx.fd.metadata.finalizers ?? []).includes(FINALIZER)) {
    const written = writeMetadata(ctx.store, ctx.fd, (metadata) => {
      metadata.finalizers = [...(metadata.finalizers ?? []), FINALIZER];
    });
    if (!written) {
      ctx.gone = true;
      return;
    }
    ctx.fd = written as PassContext['fd'];
  }
  observe(ctx);
  progressManualSavepoint(ctx);
  const last = reconciled(ctx);
  let spec: FlinkDeploymentSpec = specOf(ctx.fd);
  const problem = validateDeployment(spec, last);
  if (problem) {
    ctx.invalid = true;
    ctx.status.error = errorJson(ErrorTypes.validation, problem);
    emit(ctx, 'Warning', 'ValidationError', problem);
    if (!last) {
      flush(ctx);
      return;
    }
    // keep reconciling the last valid spec; an upgrade caught half-way is finished back to running
    spec = structuredClone(last.spec);
    if (reconciliation(ctx).state === 'UPGRADING' && spec.job && jobStateOf(spec) === 'suspended') {
      spec.job.state = 'running';
    }
  }
  reconcileSpec(ctx, spec);
  flush(ctx);
}

function reconcileSpec(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  const { rt } = ctx;
  const last = reconciled(ctx);
  if (!last) {
    if (!isSession(spec) && jobStateOf(spec) === 'suspended') return; // row 3: nothing at all
    firstDeploy(ctx, spec);
    return;
  }
  if (rt.stop && rt.stop.purpose !== 'delete') {
    const stopSpec = ctx.invalid ? rt.stop.spec : spec;
    afterStop(ctx, stopSpec, stopForChange(ctx, stopSpec, rt.stop.purpose));
    return;
  }
  const diff = diffSpecs(spec, last.spec);
  if (diff.type === 'SAVEPOINT_REDEPLOY') {
    savepointRedeploy(ctx, spec);
    return;
  }
  if (diff.type === 'IGNORE') {
    // row 16: nothing redeployed, lastReconciledSpec body kept, observedGeneration catches up
    if (!ctx.invalid) ctx.status.observedGeneration = ctx.fd.metadata.generation;
    if (rt.stopFailedWith) {
      rt.stopFailedWith = null;
      rt.stopRetryAt = null;
      if (!ctx.invalid) ctx.status.error = null;
    }
    otherChanges(ctx, spec);
    return;
  }
  // UPGRADE (SCALE falls back to it: no in-place scaling here); pending manual savepoints go first
  if (rt.manual && !confBool(spec, 'kubernetes.operator.job.upgrade.ignore-pending-savepoint', false)) return;
  if (isSession(spec)) {
    redeploySession(ctx, spec);
    return;
  }
  const lastState = jobStateOf(last.spec);
  const desired = jobStateOf(spec);
  if (lastState === 'running') {
    emit(
      ctx,
      'Normal',
      'SpecChanged',
      `${diff.type} change(s) detected (Diff: ${diff.fields.join(', ')}), starting reconciliation.`,
    );
    afterStop(ctx, spec, stopForChange(ctx, spec, desired === 'suspended' ? 'suspend' : 'upgrade'));
    return;
  }
  if (desired === 'suspended') {
    // row 12: recorded, nothing started; the stop's upgradeMode stays what the restore must use
    const recorded = withJob(spec, {
      state: 'suspended',
      upgradeMode: last.spec.job?.upgradeMode ?? 'stateless',
    });
    recordSpec(ctx, recorded, { state: 'DEPLOYED', firstDeployment: false, stable: true });
    if (!ctx.invalid) ctx.status.error = null;
    return;
  }
  emit(
    ctx,
    'Normal',
    'SpecChanged',
    `${diff.type} change(s) detected (Diff: ${diff.fields.join(', ')}), starting reconciliation.`,
  );
  restoreJob(ctx, spec);
}

function afterStop(ctx: PassContext, spec: FlinkDeploymentSpec, result: StopResult): void {
  if (result.kind !== 'stopped') return;
  const recorded = withJob(spec, { state: 'suspended', upgradeMode: result.usedMode });
  if (!ctx.invalid) ctx.status.error = null;
  if (jobStateOf(spec) === 'suspended') {
    recordSpec(ctx, recorded, { state: 'DEPLOYED', firstDeployment: false, stable: true });
    jobStatus(ctx).state = 'FINISHED';
    return;
  }
  // write-ahead: stopped for an upgrade; the restore with the new spec follows (row 13)
  recordSpec(ctx, recorded, { state: 'UPGRADING', firstDeployment: false });
  jobStatus(ctx).state = 'FINISHED';
  flush(ctx);
  restoreJob(ctx, spec);
}

/** step (f): rollback, manual savepoints, restart of failed jobs */
function otherChanges(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  if (shouldRollBack(ctx)) {
    rollBack(ctx);
    return;
  }
  triggerManualSavepoint(ctx, spec);
  const { rt } = ctx;
  if (
    rt.job?.state === 'FAILED' &&
    rt.job.failedSeenAt != null &&
    ctx.now - rt.job.failedSeenAt >= SIM_DURATIONS.reconcileInterval &&
    confBool(spec, 'kubernetes.operator.job.restart.failed', false) &&
    jobStateOf(spec) === 'running'
  ) {
    const path = jobStatus(ctx).upgradeSavepointPath;
    const restore: RestoreSource =
      (spec.job?.upgradeMode ?? 'stateless') !== 'stateless' && path
        ? { kind: 'path', path, mode: 'CLAIM' }
        : { kind: 'none' };
    emit(ctx, 'Normal', 'RestartUnhealthyJob', 'Restarting failed job');
    stopJob(rt, ctx.storage, 'cancel', ctx.now, true);
    const jobId = deployCluster(rt, ctx.storage, { spec, now: ctx.now, restore, keepJobId: false });
    const js = jobStatus(ctx);
    js.jobId = jobId ?? undefined;
    js.state = 'RECONCILING';
    ctx.status.jobManagerDeploymentStatus = rt.jm;
    if (!ctx.invalid) ctx.status.error = null;
  }
}
