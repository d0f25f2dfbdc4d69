// How a step tells BullMQ what kind of failure it hit. Semantic failures (the operator refused, the
// savepoint failed, the job FAILED, a safety rule said no) wait for a human: UnrecoverableError.
// Everything that may pass on its own (409, 5xx, network, dropped watches, the worker shutting down)
// is a plain Error so BullMQ's attempts retry it with backoff.
import { UnrecoverableError } from 'bullmq';
import { ClusterError } from '../../src/cluster/types.ts';

/** A semantic failure of a step, carrying the operator's own text. Not retried automatically. */
export class StepFailure extends UnrecoverableError {}

/** The step's own deadline passed; the message names what it waited for and what it last saw. */
export class StepTimeout extends StepFailure {}

export function fail(message: string): StepFailure {
  return new StepFailure(message);
}

/**
 * Maps whatever a cluster call threw to the error the step should throw. `what` says what the step
 * was doing, e.g. "patching team-a/orders to suspend it".
 */
export function classify(err: unknown, what: string): Error {
  if (err instanceof UnrecoverableError) return err;
  if (err instanceof ClusterError) {
    if (err.transient) return new Error(`${what}: ${err.message} (transient, will retry)`, { cause: err });
    if (err.kind === 'Timeout') return new StepTimeout(`${what}: ${err.message}`);
    // NotFound, AlreadyExists, Invalid: retrying the same call cannot help.
    return new StepFailure(`${what}: ${err.message}`);
  }
  if (err instanceof Error) {
    // AbortError (worker closing) and network errors: the step runs again and resumes from the live object.
    return new Error(`${what}: ${err.message}`, { cause: err });
  }
  return new Error(`${what}: ${String(err)}`);
}
