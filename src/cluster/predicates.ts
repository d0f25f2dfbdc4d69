// Ready-made predicates for ClusterClient.waitFor, built on the health helpers: each says "done" the
// operator's way and gives up with the operator's own message when it reports a problem.
import type { FlinkDeployment } from '../manifests/types.ts';
import {
  describeStatus,
  generationObserved,
  isStable,
  isSuspended,
  lifecycleState,
  operatorError,
} from './health.ts';
import type { WaitPredicate } from './types.ts';

export interface FailurePolicy {
  /**
   * Give up when status.error is set (default true). Pass the raw status.error seen BEFORE the change
   * as `baselineError`: the operator clears an old error only on its next successful reconcile, so the
   * same text right after a patch is history, not news.
   */
  failOnError?: boolean;
  baselineError?: string | null;
}

function failure(obj: FlinkDeployment | null, policy: FailurePolicy): string | null {
  if (!obj) return null;
  if (policy.failOnError !== false) {
    const err = operatorError(obj);
    if (err && err.raw !== (policy.baselineError ?? null)) return `operator reported: ${err.message}`;
  }
  // A FAILED lifecycle from before the operator saw the new spec says nothing about the new spec.
  if (generationObserved(obj) && lifecycleState(obj) === 'FAILED')
    return `lifecycle FAILED (${describeStatus(obj)})`;
  return null;
}

/** Lifecycle STABLE, job RUNNING, generation observed, reconciliation DEPLOYED, no error. Gone = failure. */
export function untilStable(policy: FailurePolicy = {}): WaitPredicate {
  return (obj) => {
    if (!obj) return 'the FlinkDeployment disappeared';
    if (isStable(obj)) return true;
    return failure(obj, policy) ?? false;
  };
}

/** Lifecycle SUSPENDED, generation observed, reconciliation DEPLOYED, no error. Gone = failure. */
export function untilSuspended(policy: FailurePolicy = {}): WaitPredicate {
  return (obj) => {
    if (!obj) return 'the FlinkDeployment disappeared';
    if (isSuspended(obj)) return true;
    return failure(obj, policy) ?? false;
  };
}

/** The object no longer exists (finalizers done). */
export function untilGone(): WaitPredicate {
  return (obj) => obj === null;
}
