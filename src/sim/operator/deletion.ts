// Row 19: CR deletion through the operator's finalizer. Lifecycle DELETING; no savepoint unless
// savepoint-on-deletion; JM, HA ConfigMaps and checkpoint pointers go, files in storage stay.
import { emit, FINALIZER, flush, type PassContext, specOf } from './context.ts';
import { deleteCluster, isRunning, savepointsDirOf } from './runtime.ts';
import { confBool } from './spec.ts';
import { writeMetadata } from './status.ts';
import { stopForChange } from './suspend.ts';

/** returns true once the finalizer is removed */
export function handleDeletion(ctx: PassContext): boolean {
  if (!(ctx.fd.metadata.finalizers ?? []).includes(FINALIZER)) return false;
  flush(ctx, 'DELETING');
  if (ctx.gone) return true;
  const spec = specOf(ctx.fd);
  const wantsSavepoint =
    confBool(spec, 'kubernetes.operator.job.savepoint-on-deletion', false) &&
    savepointsDirOf(spec) !== undefined &&
    spec.job != null;
  if (ctx.rt.stop || (wantsSavepoint && isRunning(ctx.rt))) {
    const savepointSpec = structuredClone(spec);
    if (savepointSpec.job) savepointSpec.job.upgradeMode = 'savepoint';
    const result = stopForChange(ctx, savepointSpec, 'delete');
    if (result.kind === 'pending') return false;
    if (result.kind === 'blocked') {
      emit(ctx, 'Warning', 'CleanupFailed', 'Could not take the savepoint on deletion; retrying');
      flush(ctx, 'DELETING');
      return false;
    }
  }
  emit(ctx, 'Normal', 'Cleanup', 'Cleaning up FlinkDeployment');
  deleteCluster(ctx.rt, ctx.now);
  const written = writeMetadata(ctx.store, ctx.fd, (metadata) => {
    metadata.finalizers = (metadata.finalizers ?? []).filter((finalizer) => finalizer !== FINALIZER);
  });
  ctx.gone = true;
  return written === undefined || written.metadata.deletionTimestamp !== undefined;
}
