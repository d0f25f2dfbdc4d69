// Turns the queue's transition events into commit statuses and poller bookkeeping, in whichever
// process runs the steps: "step 2/3: upgrade" while it runs, "done: <steps>" or failure (with the
// operator's cause) at the end, and, on success, the commit becomes the deployment's last applied
// revision and the commits whose change it carried (a delete blocked for approval) say superseded.
import { childLogger } from '../log.ts';
import type { TransitionEvents } from '../queue/events.ts';
import type { StepResult } from '../queue/types.ts';
import { transitionStatus } from '../status/describe.ts';
import { scrubSecrets } from '../status/scrub.ts';
import type { StatusReporter } from '../status/types.ts';
import type { PollerState } from './poller-state.ts';

const log = childLogger({ component: 'status-bridge' });

export interface StatusBridgeOptions {
  events: TransitionEvents;
  reporter: StatusReporter;
  state: PollerState;
  /** link to the queue UI page of a step job (or of the queue when no job id is known) */
  targetUrl?: (jobId: string | null) => string | undefined;
  /** extra observers (metrics) */
  onStepFinished?: (action: string, seconds: number) => void;
  onTransitionEnded?: (outcome: 'success' | 'failure') => void;
  /** a step took (or found) a savepoint and recorded it in the ledger */
  onSavepointRecorded?: (action: string) => void;
  /** the actions of a transition, for "done: <steps>" (null when the queue no longer knows it) */
  transitionSteps?: (transitionId: string) => Promise<readonly string[] | null>;
  /**
   * configured credentials, scrubbed from an error text before it is shortened to a description (the
   * reporter scrubs again, but a value cut in half by the 140-character limit would no longer match)
   */
  secrets?: readonly string[];
}

/**
 * A remark on a success worth a commit reader's attention: a guarded delete that recorded no final
 * savepoint (and did not find the object already gone) deleted something that held no job state (a
 * session cluster, or a job that never ran).
 */
function successNote(last: StepResult | undefined): string | undefined {
  if (last?.action === 'guarded-delete' && !last.savepointPath && !last.skipped)
    return 'no state existed, no final savepoint taken';
  return undefined;
}

/** Returns a function that resolves once every status write started so far has settled (for shutdown). */
export function bridgeTransitionStatuses(options: StatusBridgeOptions): () => Promise<void> {
  const { events, reporter, state } = options;
  const url = (jobId: string | null) => options.targetUrl?.(jobId);
  const started = new Map<string, number>();
  /** the result of each transition's last step, until its transition-finished (emitted right after) */
  const lastResults = new Map<string, StepResult>();
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    p.catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'status bookkeeping failed'),
    ).finally(() => pending.delete(p));
  };

  events.on('step-started', (info) => {
    started.set(info.jobId, Date.now());
    track(
      reporter.report(
        info.commit,
        transitionStatus.step(
          info.namespace,
          info.name,
          info.stepIndex + 1,
          info.stepCount,
          info.action,
          url(info.jobId),
        ),
      ),
    );
  });
  events.on('step-finished', (info) => {
    const t0 = started.get(info.jobId);
    started.delete(info.jobId);
    if (t0 !== undefined) options.onStepFinished?.(info.action, (Date.now() - t0) / 1000);
    if (info.result.savepointPath && info.action !== 'create' && !info.result.skipped) {
      options.onSavepointRecorded?.(info.action);
    }
    if (info.stepIndex === info.stepCount - 1) {
      // bounded: a release that never comes (another process finished it) leaves an entry behind
      if (lastResults.size >= 1_000) lastResults.delete(lastResults.keys().next().value as string);
      lastResults.set(info.transitionId, info.result);
    }
  });
  events.on('transition-finished', (info) => {
    options.onTransitionEnded?.('success');
    const last = lastResults.get(info.transitionId);
    lastResults.delete(info.transitionId);
    track(
      (async () => {
        let superseded: string[] = [];
        await state.updateDeployment(`${info.namespace}/${info.name}`, (r) => {
          const { failed: _failed, supersedes, ...rest } = r;
          const ours = supersedes?.transitionId === info.transitionId;
          superseded = ours ? supersedes.commits.filter((c) => c !== info.commit) : [];
          return { ...rest, applied: info.commit, ...(supersedes && !ours ? { supersedes } : {}) };
        });
        const steps = (await options.transitionSteps?.(info.transitionId).catch(() => null)) ?? [];
        const writes = [
          reporter.report(
            info.commit,
            transitionStatus.succeeded(info.namespace, info.name, steps, url(null), successNote(last)),
          ),
          ...superseded.map((sha) =>
            reporter.report(
              sha,
              transitionStatus.superseded(info.namespace, info.name, info.commit, url(null)),
            ),
          ),
        ];
        await Promise.all(writes);
      })(),
    );
  });
  events.on('transition-failed', (info) => {
    options.onTransitionEnded?.('failure');
    lastResults.delete(info.transitionId);
    track(
      (async () => {
        await state.updateDeployment(`${info.namespace}/${info.name}`, (r) => ({
          ...r,
          failed: { transitionId: info.transitionId, commit: info.commit },
        }));
        await reporter.report(
          info.commit,
          transitionStatus.failed(
            info.namespace,
            info.name,
            info.action,
            scrubSecrets(info.error, options.secrets),
            url(info.jobId),
          ),
        );
      })(),
    );
  });
  return async () => {
    await Promise.allSettled([...pending]);
  };
}
