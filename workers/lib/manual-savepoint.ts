// A manual savepoint the operator's way (reference/flink-operator.md section 5): bump
// spec.job.savepointTriggerNonce on a RUNNING job, then watch for the result, either as a
// FlinkStateSnapshot resource (operator 1.10+, the default) or in the legacy
// status.jobStatus.savepointInfo.lastSavepoint with triggerNonce == our nonce.
// The nonce and the snapshots that existed before are written ahead, so a re-run after a crash
// waits for the savepoint it triggered instead of triggering a second one.
import type { Job } from 'bullmq';
import type { FlinkStateSnapshot } from '../../src/cluster/types.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import type { StepContext } from '../../src/queue/step-handler.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import { classify, fail, StepFailure } from './errors.ts';
import { describe, isFailed, jobState, lastReconciledSpec, operatorError } from './status.ts';
import { pollUntil, ref } from './wait.ts';
import { forget, notes, remember } from './write-ahead.ts';

interface SavepointNotes {
  savepointNonce: number;
  savepointKnownSnapshots: string[];
  savepointErrorBefore: string | null;
  [key: string]: unknown;
}

const NOTE_KEYS = ['savepointNonce', 'savepointKnownSnapshots', 'savepointErrorBefore'];

/** The nonce the operator has already acted on (it copies it into lastReconciledSpec). */
function reconciledNonce(obj: FlinkDeployment): number | null {
  return lastReconciledSpec(obj)?.job?.savepointTriggerNonce ?? null;
}

function snapshotResourcesDisabled(obj: FlinkDeployment): boolean {
  return obj.spec.flinkConfiguration?.['kubernetes.operator.snapshot.resource.enabled'] === 'false';
}

function isManualSavepoint(snapshot: FlinkStateSnapshot): boolean {
  if (!snapshot.spec.savepoint) return false;
  const trigger = snapshot.metadata.labels?.['snapshot.trigger-type'];
  if (trigger) return trigger.toLowerCase() === 'manual';
  return snapshot.metadata.name.includes('-savepoint-manual-');
}

/** Takes (or, on a re-run, finishes waiting for) this step's manual savepoint and returns its path. */
export async function takeManualSavepoint(
  job: Job<StepJobData>,
  ctx: StepContext,
  options: { pct: number; timeoutMs: number },
): Promise<string> {
  const { namespace, name } = job.data;
  const live = await ctx.cluster.get(namespace, name).catch((err) => {
    throw classify(err, `reading ${ref(job)}`);
  });
  if (!live) throw fail(`${ref(job)} does not exist: no savepoint can be taken`);
  let written = notes<SavepointNotes>(job);
  if (written.savepointNonce === undefined) {
    if (jobState(live) !== 'RUNNING') {
      throw fail(`a savepoint needs a RUNNING job; ${ref(job)} has ${describe(live)}`);
    }
    const snapshots = await ctx.cluster.listSnapshots(namespace, name).catch((err) => {
      throw classify(err, `listing snapshots of ${ref(job)}`);
    });
    await remember(job, {
      // above both the spec's and the reconciled nonce: an equal value would never fire
      savepointNonce: Math.max(live.spec.job?.savepointTriggerNonce ?? 0, reconciledNonce(live) ?? 0) + 1,
      savepointKnownSnapshots: snapshots.map((s) => s.metadata.name),
      savepointErrorBefore: operatorError(live),
    });
    written = notes<SavepointNotes>(job);
  }
  const nonce = written.savepointNonce as number;
  const known = new Set(written.savepointKnownSnapshots ?? []);
  const errorBefore = written.savepointErrorBefore ?? null;

  await ctx.log(`triggering a manual savepoint of ${ref(job)} (savepointTriggerNonce ${nonce})`);
  await ctx.cluster
    .patch(namespace, name, (current) =>
      current.spec.job?.savepointTriggerNonce === nonce
        ? null
        : { spec: { job: { savepointTriggerNonce: nonce } } },
    )
    .catch((err) => {
      throw classify(err, `setting savepointTriggerNonce on ${ref(job)}`);
    });

  let last: FlinkDeployment | null = null;
  try {
    return await pollUntil(
      job,
      ctx,
      {
        what: `the savepoint of nonce ${nonce} to complete`,
        timeoutMs: options.timeoutMs,
        pct: options.pct,
        describeLast: () => describe(last),
      },
      async () => {
        const obj = await ctx.cluster.get(namespace, name);
        last = obj;
        if (!obj) throw fail(`${ref(job)} disappeared while its savepoint was in progress`);
        const lastSavepoint = obj.status?.jobStatus?.savepointInfo?.lastSavepoint;
        if (lastSavepoint?.triggerNonce === nonce && lastSavepoint.location) return lastSavepoint.location;
        const ours = (await ctx.cluster.listSnapshots(namespace, name))
          .filter((s) => !known.has(s.metadata.name) && isManualSavepoint(s))
          .sort((a, b) =>
            String(a.metadata.creationTimestamp ?? '').localeCompare(
              String(b.metadata.creationTimestamp ?? ''),
            ),
          );
        for (const snapshot of ours) {
          const state = snapshot.status?.state;
          if (state === 'COMPLETED' && snapshot.status?.path) return snapshot.status.path;
          if (state === 'FAILED' || state === 'ABANDONED') {
            throw fail(
              `savepoint ${snapshot.metadata.name} of ${ref(job)} ${state}: ${snapshot.status?.error ?? 'no error text'}`,
            );
          }
        }
        const error = operatorError(obj);
        if (error && error !== errorBefore) throw fail(`savepoint of ${ref(job)} failed: ${error}`);
        if (isFailed(obj))
          throw fail(`${ref(job)} left RUNNING while its savepoint was pending: ${describe(obj)}`);
        if (
          snapshotResourcesDisabled(obj) &&
          reconciledNonce(obj) === nonce &&
          !obj.status?.jobStatus?.savepointInfo?.triggerId
        ) {
          throw fail(
            `the operator gave up on the savepoint of ${ref(job)} (nonce ${nonce}); see its SavepointError events`,
          );
        }
        return undefined;
      },
    );
  } catch (err) {
    // A human retry must trigger a fresh savepoint: the failed nonce is already reconciled.
    if (err instanceof StepFailure)
      await forget(
        job,
        Object.keys(job.data.progress ?? {}).filter((k) => !NOTE_KEYS.includes(k)),
      );
    throw err;
  }
}
