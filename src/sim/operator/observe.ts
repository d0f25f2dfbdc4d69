// The observer: bring the simulated cluster up to now and report it into status the way the operator's
// JobStatusObserver / deployment observer do (job state, JM status, stable spec, errors).
import { emit, jobStatus, type PassContext, reconciliation, specOf } from './context.ts';
import { advance, latestCheckpoint } from './runtime.ts';
import { readReconciled, writeReconciled } from './spec.ts';
import { ErrorTypes, errorJson } from './status.ts';

export function observe(ctx: PassContext): void {
  const { rt, status } = ctx;
  advance(rt, ctx.now, ctx.storage, ctx.faults);
  status.jobManagerDeploymentStatus = rt.jm;
  const rec = reconciliation(ctx);
  if (rt.session) {
    if (rt.jm === 'READY' && rec.state === 'DEPLOYED') {
      rec.lastStableSpec = rec.lastReconciledSpec;
      if (!rt.stopFailedWith) status.error = null;
    }
    return;
  }
  const job = rt.job;
  if (!job) return;
  const js = jobStatus(ctx);
  const previous = js.state;
  js.jobId = job.jobId;
  js.jobName = ctx.fd.metadata.name;
  js.state = job.state;
  js.startTime = String(job.startTime);
  js.updateTime = String(job.updateTime);
  if (previous && previous !== job.state) {
    emit(ctx, 'Normal', 'JobStatusChanged', `Job status changed from ${previous} to ${job.state}`);
  }
  const latest = latestCheckpoint(rt);
  if (latest) {
    js.checkpointInfo = {
      ...(js.checkpointInfo ?? {}),
      lastCheckpoint: { timeStamp: latest.at, triggerType: 'PERIODIC', formatType: 'FULL' },
      lastPeriodicCheckpointTimestamp: latest.at,
    };
  }
  if (job.state === 'RUNNING') {
    // Stability = the job observed RUNNING once while the spec is DEPLOYED.
    if (rec.state === 'DEPLOYED') rec.lastStableSpec = rec.lastReconciledSpec;
    if (rec.state !== 'UPGRADING' && !rt.stopFailedWith) status.error = null;
  }
  if (job.state === 'CANCELED' && previous !== 'CANCELED') markCancelledExternally(ctx);
  if (job.state === 'FAILED' && previous !== 'FAILED') {
    job.failedSeenAt = ctx.now;
    status.error = errorJson(ErrorTypes.jobException, job.failure ?? 'Job failed');
    emit(ctx, 'Warning', 'JobException', job.failure ?? 'Job failed');
    // A terminal job's last checkpoint is what a later stateful upgrade restores from (row 9).
    const restorable = latest?.path ?? rt.restoredFrom.path;
    if (restorable && !job.restoreFailure) js.upgradeSavepointPath = restorable;
  }
}

/**
 * Row 20: a job cancelled behind the operator's back counts as suspended; because the spec still says
 * running, the next pass restores it (from its last checkpoint: Flink dropped the HA data).
 */
function markCancelledExternally(ctx: PassContext): void {
  const rec = reconciliation(ctx);
  const last = readReconciled(rec.lastReconciledSpec);
  if (!last?.spec.job || (last.spec.job.state ?? 'running') === 'suspended') return;
  last.spec.job.state = 'suspended';
  const latest = latestCheckpoint(ctx.rt);
  // the user's mode decides: a stateful job restarts from the checkpoint seen in the terminal state
  if ((specOf(ctx.fd).job?.upgradeMode ?? 'stateless') !== 'stateless') {
    last.spec.job.upgradeMode = 'savepoint';
    if (latest) jobStatus(ctx).upgradeSavepointPath = latest.path;
  }
  rec.lastReconciledSpec = writeReconciled(last.spec, last.resource_metadata.firstDeployment);
  ctx.status.jobManagerDeploymentStatus = ctx.rt.jm;
}
