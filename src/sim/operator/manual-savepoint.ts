// Manual savepoints via spec.job.savepointTriggerNonce (section 5): a MANUAL FlinkStateSnapshot, or the
// legacy savepointInfo trigger fields when snapshot resources are disabled.
import { randomBytes } from 'node:crypto';
import type { FlinkDeploymentSpec } from '../../manifests/types.ts';
import { SIM_DURATIONS } from './clock.ts';
import { emit, type PassContext, reconciled, reconciliation, savepointInfoOf, specOf } from './context.ts';
import { optionalDuration } from './duration.ts';
import { isRunning, savepointsDirOf, takeSavepoint } from './runtime.ts';
import { createManualSnapshot, updateSnapshot } from './snapshots.ts';
import { conf, type SavepointFormat, savepointFormatOf, writeReconciled } from './spec.ts';
import { recordSavepoint, snapshotResourcesEnabled } from './suspend.ts';

/** the nonce asks for a savepoint the operator has not taken yet */
export function manualSavepointWanted(ctx: PassContext, spec: FlinkDeploymentSpec): boolean {
  const nonce = spec.job?.savepointTriggerNonce;
  const last = reconciled(ctx);
  return nonce != null && nonce !== last?.spec.job?.savepointTriggerNonce;
}

export function triggerManualSavepoint(ctx: PassContext, spec: FlinkDeploymentSpec): void {
  const { rt } = ctx;
  if (rt.manual || rt.stop || !isRunning(rt) || !manualSavepointWanted(ctx, spec)) return;
  const nonce = spec.job!.savepointTriggerNonce!;
  const triggerId = randomBytes(16).toString('hex');
  const dueAt = ctx.faults.savepoint === 'hang' ? null : ctx.now + SIM_DURATIONS.savepoint;
  const formatType = savepointFormatOf(spec);
  if (snapshotResourcesEnabled(ctx)) {
    const name = createManualSnapshot(ctx.store, ctx.fd, savepointsDirOf(spec) ?? '', formatType);
    copyNonce(ctx, nonce);
    updateSnapshot(ctx.store, ctx.fd.metadata.namespace ?? 'default', name, (status) => {
      status.state = 'IN_PROGRESS';
      status.triggerId = triggerId;
      status.triggerTimestamp = new Date().toISOString();
    });
    rt.manual = {
      nonce,
      snapshotName: name,
      triggerId,
      firstTriggeredAt: ctx.now,
      triggeredAtReal: Date.now(),
      dueAt,
      failures: 0,
      retryAt: null,
      formatType,
    };
    return;
  }
  const info = savepointInfoOf(ctx);
  info.triggerId = triggerId;
  info.triggerTimestamp = Date.now();
  info.triggerType = 'MANUAL';
  info.formatType = formatType;
  rt.manual = {
    nonce,
    snapshotName: null,
    triggerId,
    firstTriggeredAt: ctx.now,
    triggeredAtReal: Date.now(),
    dueAt,
    failures: 0,
    retryAt: null,
    formatType,
  };
}

export function progressManualSavepoint(ctx: PassContext): void {
  const { rt, faults } = ctx;
  const manual = rt.manual;
  if (!manual) return;
  const namespace = ctx.fd.metadata.namespace ?? 'default';
  if (!isRunning(rt)) {
    if (manual.snapshotName) {
      updateSnapshot(ctx.store, namespace, manual.snapshotName, (status) => {
        status.state = 'ABANDONED';
        status.resultTimestamp = new Date().toISOString();
      });
      emit(
        ctx,
        'Warning',
        'SnapshotAbandoned',
        `Snapshot ${manual.snapshotName} was abandoned: the job is not running`,
      );
    } else clearTrigger(ctx);
    rt.manual = null;
    return;
  }
  if (manual.retryAt !== null) {
    if (manual.retryAt > ctx.now && faults.savepoint === 'fail') return;
    manual.retryAt = null;
    manual.dueAt = faults.savepoint === 'hang' ? null : ctx.now + SIM_DURATIONS.savepoint;
    const info = savepointInfoOf(ctx);
    info.triggerId = randomBytes(16).toString('hex');
    info.triggerTimestamp = Date.now();
    info.triggerType = 'MANUAL';
    info.formatType = manualFormat(ctx);
    return;
  }
  if (manual.dueAt === null) {
    if (faults.savepoint === 'hang') return;
    manual.dueAt = ctx.now + SIM_DURATIONS.savepoint;
  }
  if (manual.dueAt > ctx.now) return;
  if (faults.savepoint === 'fail') {
    failManual(ctx);
    return;
  }
  const dir = savepointsDirOf(specOf(ctx.fd)) ?? 's3://flink/savepoints';
  const savepoint = takeSavepoint(rt, ctx.storage, dir, ctx.now);
  rt.manual = null;
  if (manual.snapshotName) {
    updateSnapshot(ctx.store, namespace, manual.snapshotName, (status) => {
      status.state = 'COMPLETED';
      status.path = savepoint.path;
      status.resultTimestamp = new Date().toISOString();
      delete status.error;
    });
    return;
  }
  clearTrigger(ctx);
  recordSavepoint(
    ctx,
    savepoint.path,
    'MANUAL',
    manual.nonce,
    manual.formatType ?? savepointFormatOf(specOf(ctx.fd)),
  );
  copyNonce(ctx, manual.nonce);
}

function failManual(ctx: PassContext): void {
  const { rt } = ctx;
  const manual = rt.manual!;
  const message = `Savepoint failed for savepointTriggerNonce: ${manual.nonce} (simulated fault sim.flinkops.io/savepoint=fail)`;
  emit(ctx, 'Warning', 'SavepointError', message);
  manual.failures += 1;
  if (manual.snapshotName) {
    // operator-created snapshots carry backoffLimit 0 here: the first failure is final
    updateSnapshot(ctx.store, ctx.fd.metadata.namespace ?? 'default', manual.snapshotName, (status) => {
      status.state = 'FAILED';
      status.failures = manual.failures;
      status.error = message;
      status.resultTimestamp = new Date().toISOString();
    });
    emit(ctx, 'Warning', 'SnapshotError', message);
    rt.manual = null;
    return;
  }
  clearTrigger(ctx);
  const grace =
    optionalDuration(conf(specOf(ctx.fd), 'kubernetes.operator.savepoint.trigger.grace-period')) ?? 60_000;
  if (ctx.now - manual.firstTriggeredAt >= grace) {
    // given up: the nonce counts as handled, lastSavepoint unchanged
    copyNonce(ctx, manual.nonce);
    rt.manual = null;
    return;
  }
  manual.retryAt = ctx.now + SIM_DURATIONS.reconcileInterval;
}

/** the format of the pending manual savepoint: as triggered, or (state saved before it was kept) as configured now */
function manualFormat(ctx: PassContext): SavepointFormat {
  return ctx.rt.manual?.formatType ?? savepointFormatOf(specOf(ctx.fd));
}

function clearTrigger(ctx: PassContext): void {
  const info = savepointInfoOf(ctx);
  info.triggerId = null;
  info.triggerTimestamp = null;
  info.triggerType = null;
  info.formatType = null;
}

/** the nonce goes into lastReconciledSpec (and lastStableSpec when they were equal, so STABLE stays STABLE) */
function copyNonce(ctx: PassContext, nonce: number): void {
  const rec = reconciliation(ctx);
  const last = reconciled(ctx);
  if (!last?.spec.job) return;
  const wasStable = rec.lastStableSpec === rec.lastReconciledSpec;
  last.spec.job.savepointTriggerNonce = nonce;
  rec.lastReconciledSpec = writeReconciled(last.spec, last.resource_metadata.firstDeployment);
  if (wasStable) rec.lastStableSpec = rec.lastReconciledSpec;
}
