// Rollback to lastStableSpec (section 6), when kubernetes.operator.deployment.rollback.enabled is true.
import { emit, flush, jobStatus, type PassContext, reconciliation, specOf } from './context.ts';
import { optionalDuration } from './duration.ts';
import { deployCluster, latestCheckpoint, type RestoreSource, stopJob } from './runtime.ts';
import { conf, confBool, readReconciled } from './spec.ts';

export function shouldRollBack(ctx: PassContext): boolean {
  const spec = specOf(ctx.fd);
  if (!confBool(spec, 'kubernetes.operator.deployment.rollback.enabled', false)) return false;
  const rec = reconciliation(ctx);
  if (rec.state !== 'DEPLOYED') return false;
  if (!rec.lastStableSpec || rec.lastStableSpec === rec.lastReconciledSpec) return false;
  const stable = readReconciled(rec.lastStableSpec);
  const last = readReconciled(rec.lastReconciledSpec);
  if (!stable || !last) return false;
  if ((stable.spec.job?.state ?? 'running') === 'suspended') return false;
  if (stable.spec.flinkVersion !== last.spec.flinkVersion) return false;
  const timeout = optionalDuration(conf(spec, 'kubernetes.operator.deployment.readiness.timeout')) ?? 300_000;
  if (ctx.rt.reconciledAt === null || ctx.now - ctx.rt.reconciledAt < timeout) return false;
  const haPresent = ctx.rt.ha !== null && !ctx.faults.haLost;
  const savepointNeverStarted = last.spec.job?.upgradeMode === 'savepoint' && ctx.rt.jm !== 'READY';
  return haPresent || savepointNeverStarted;
}

/** the readiness deadline, for scheduling a wake-up */
export function rollbackDeadline(ctx: PassContext): number | null {
  const spec = specOf(ctx.fd);
  if (!confBool(spec, 'kubernetes.operator.deployment.rollback.enabled', false)) return null;
  if (ctx.rt.reconciledAt === null) return null;
  const timeout = optionalDuration(conf(spec, 'kubernetes.operator.deployment.readiness.timeout')) ?? 300_000;
  return ctx.rt.reconciledAt + timeout;
}

/** ROLLING_BACK -> stop with last-state (stateless if the stable spec was) -> deploy lastStableSpec -> ROLLED_BACK */
export function rollBack(ctx: PassContext): void {
  const rec = reconciliation(ctx);
  const stable = readReconciled(rec.lastStableSpec)!;
  rec.state = 'ROLLING_BACK';
  emit(ctx, 'Warning', 'Rollback', 'Rolling back deployment to last stable spec');
  flush(ctx);
  // the job being rolled back decides: its recorded mode (a first deploy records stateless in the stable spec)
  const current = readReconciled(rec.lastReconciledSpec);
  const stateless = (current?.spec.job?.upgradeMode ?? 'stateless') === 'stateless';
  const haPresent = ctx.rt.ha !== null && !ctx.faults.haLost;
  let restore: RestoreSource = { kind: 'none' };
  if (!stateless && haPresent) restore = { kind: 'last-state' };
  else if (!stateless) {
    const path = jobStatus(ctx).upgradeSavepointPath ?? latestCheckpoint(ctx.rt)?.path;
    if (path) restore = { kind: 'path', path, mode: 'CLAIM' };
  }
  stopJob(ctx.rt, ctx.storage, stateless ? 'stateless' : 'last-state', ctx.now, true);
  emit(ctx, 'Normal', 'Submit', 'Starting deployment');
  const jobId = deployCluster(ctx.rt, ctx.storage, {
    spec: stable.spec,
    now: ctx.now,
    restore,
    keepJobId: restore.kind === 'last-state',
  });
  const js = jobStatus(ctx);
  if (jobId) {
    js.jobId = jobId;
    js.state = 'RECONCILING';
    js.startTime = String(ctx.rt.job!.startTime);
    js.updateTime = String(ctx.rt.job!.updateTime);
  }
  ctx.status.jobManagerDeploymentStatus = ctx.rt.jm;
  if (!ctx.invalid) ctx.status.error = null;
  rec.state = 'ROLLED_BACK';
  rec.reconciliationTimestamp = Date.now();
  ctx.rt.reconciledAt = ctx.now;
  flush(ctx);
}
