// The entry points the poller calls: a plan's transitions become BullMQ flows (see transition-queue.ts).
import type { Plan, Transition } from '../plan/types.ts';
import type { TransitionJobInput } from './flow.ts';
import type { EnqueueOptions, EnqueueResult, TransitionQueue } from './transition-queue.ts';

export type { TransitionJobInput } from './flow.ts';
export type { EnqueueOptions, EnqueueResult } from './transition-queue.ts';

/** One transition -> one flow (or a place in its deployment's pending list). Zero steps enqueue nothing. */
export function enqueueTransition(
  queue: TransitionQueue,
  input: TransitionJobInput,
  options?: EnqueueOptions,
): Promise<EnqueueResult> {
  return queue.enqueueTransition(input, options);
}

/** Every transition of a plan, in plan order; `resolve` supplies the target/previous manifests of each. */
export function enqueuePlan(
  queue: TransitionQueue,
  plan: Plan,
  resolve: (transition: Transition) => Omit<TransitionJobInput, 'commit' | 'transition'>,
  options?: EnqueueOptions,
): Promise<EnqueueResult[]> {
  return queue.enqueuePlan(plan, resolve, options);
}
