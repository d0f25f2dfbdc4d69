// create: creates the FlinkDeployment of the target manifest. When the manifest names no
// initialSavepointPath and the enqueuer found a ledger savepoint for this namespace/name (a
// deployment that was guarded-deleted before), the job starts from it instead of from empty state.
import type { Job } from 'bullmq';
import { ClusterError } from '../src/cluster/types.ts';
import { withoutUnknownSpecFields } from '../src/manifests/known-spec-fields.ts';
import type { FlinkDeployment } from '../src/manifests/types.ts';
import type { StepContext, StepHandler } from '../src/queue/step-handler.ts';
import type { StepJobData, StepResult } from '../src/queue/types.ts';
import { classify, fail } from './lib/errors.ts';
import { readLive, requireTarget } from './lib/live.ts';
import { diffMergePatch } from './lib/merge-patch.ts';
import { isFailed, isRunningStable, lifecycle, operatorError } from './lib/status.ts';
import { ref, waitForDeployment } from './lib/wait.ts';
import { remember } from './lib/write-ahead.ts';

export const RESTORE_ANNOTATION = 'flinkops.io/restore';

/** The object to create: the manifest's identity, labels, annotations and spec, plus the ledger restore. */
export function objectToCreate(data: StepJobData, target: FlinkDeployment): FlinkDeployment {
  const spec = structuredClone(target.spec);
  const optedOut = target.metadata.annotations?.[RESTORE_ANNOTATION] === 'none';
  if (spec.job && !spec.job.initialSavepointPath && data.restoreFrom && !optedOut) {
    spec.job.initialSavepointPath = data.restoreFrom;
  }
  const metadata: FlinkDeployment['metadata'] = { name: data.name, namespace: data.namespace };
  if (target.metadata.labels) metadata.labels = { ...target.metadata.labels };
  if (target.metadata.annotations) metadata.annotations = { ...target.metadata.annotations };
  return { apiVersion: target.apiVersion, kind: target.kind, metadata, spec };
}

/** The live object has what the API server kept of the wanted spec (fields the CRD lacks are pruned). */
function sameSpec(live: FlinkDeployment, wanted: FlinkDeployment): boolean {
  return diffMergePatch(live.spec, withoutUnknownSpecFields(wanted.spec)) === undefined;
}

/** A job created suspended is only recorded by the operator (lifecycle CREATED), never started. */
function createdDone(wanted: FlinkDeployment) {
  const suspended = wanted.spec.job?.state === 'suspended';
  return (obj: FlinkDeployment | null): boolean | string => {
    if (!obj) return false;
    if (isFailed(obj)) return `deployment FAILED: ${operatorError(obj) ?? 'no error text from the operator'}`;
    if (suspended) return ['CREATED', 'SUSPENDED'].includes(lifecycle(obj) ?? '');
    return isRunningStable(obj);
  };
}

export const create: StepHandler = async (job: Job<StepJobData>, ctx: StepContext): Promise<StepResult> => {
  const target = requireTarget(job);
  const wanted = objectToCreate(job.data, target);
  const restoredFrom = wanted.spec.job?.initialSavepointPath ?? null;
  await ctx.progress(5, `creating ${ref(job)}`);

  let live = await readLive(job, ctx);
  if (live?.metadata.deletionTimestamp) {
    await waitForDeployment(job, ctx, {
      what: 'the previous object of this name to finish deleting',
      check: (obj) => obj === null,
      timeoutMs: ctx.config.timeouts.create,
      pct: 10,
    });
    live = null;
  }
  let skipped = false;
  if (live) {
    if (!sameSpec(live, wanted)) {
      throw fail(`${ref(job)} already exists with a different spec; plan an update instead of a create`);
    }
    skipped = true;
    await ctx.log(`${ref(job)} already exists with the target spec (created by an earlier run of this step)`);
  } else {
    await remember(job, { createRequested: new Date().toISOString(), restoreFrom: restoredFrom });
    await ctx.log(
      restoredFrom
        ? `creating ${ref(job)} restoring from ${restoredFrom}`
        : `creating ${ref(job)}${target.spec.job ? ' with empty state' : ' (session cluster)'}`,
    );
    try {
      await ctx.cluster.create(wanted);
    } catch (err) {
      if (!(err instanceof ClusterError && err.kind === 'AlreadyExists'))
        throw classify(err, `creating ${ref(job)}`);
      const existing = await readLive(job, ctx);
      if (!existing || !sameSpec(existing, wanted)) {
        throw fail(`${ref(job)} already exists with a different spec; plan an update instead of a create`);
      }
    }
  }

  await waitForDeployment(job, ctx, {
    what:
      wanted.spec.job?.state === 'suspended'
        ? 'the operator to record the suspended job'
        : 'lifecycle STABLE and job RUNNING',
    check: createdDone(wanted),
    timeoutMs: ctx.config.timeouts.create,
    pct: 50,
  });
  await ctx.progress(100, `${ref(job)} created`);
  return {
    action: 'create',
    summary: `${skipped ? 'found' : 'created'} ${ref(job)}${restoredFrom ? ` restored from ${restoredFrom}` : ''}`,
    ...(restoredFrom ? { savepointPath: restoredFrom } : {}),
    ...(skipped ? { skipped } : {}),
  };
};
