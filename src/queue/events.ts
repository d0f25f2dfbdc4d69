// What the queue tells the outside (the commit status reporter, logs, metrics): a transition was
// queued, started, each step started/finished/failed, the transition finished or failed. Emitted in
// the process that observed it (the enqueuer for "queued", the worker host for the rest).
import { EventEmitter } from 'node:events';
import type { StepAction } from '../plan/types.ts';
import type { StepResult } from './types.ts';

export interface TransitionInfo {
  transitionId: string;
  namespace: string;
  name: string;
  commit: string;
  stepCount: number;
}

export interface StepInfo extends TransitionInfo {
  jobId: string;
  stepIndex: number;
  action: StepAction;
  /** 1-based attempt number of this run of the step */
  attempt: number;
}

export interface TransitionEventMap {
  /** running: its flow was added now; pending: it waits for `owner` to finish */
  'transition-queued': TransitionInfo & {
    position: 'running' | 'pending';
    owner?: string;
    superseded: string[];
  };
  'transition-started': StepInfo;
  'step-started': StepInfo;
  'step-finished': StepInfo & { result: StepResult };
  'step-failed': StepInfo & { error: string; willRetry: boolean };
  'transition-finished': TransitionInfo;
  /** a step failed for good (semantic failure or attempts exhausted): the flow waits for a human retry */
  'transition-failed': StepInfo & { error: string };
}

/** A typed EventEmitter; listener errors are caught by the emitter's owner, never crash a step. */
export class TransitionEvents {
  private readonly emitter = new EventEmitter();

  on<E extends keyof TransitionEventMap>(event: E, listener: (payload: TransitionEventMap[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<E extends keyof TransitionEventMap>(
    event: E,
    listener: (payload: TransitionEventMap[E]) => void,
  ): this {
    this.emitter.off(event, listener);
    return this;
  }

  emit<E extends keyof TransitionEventMap>(event: E, payload: TransitionEventMap[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (p: TransitionEventMap[E]) => void)(payload);
      } catch {
        // a reporter's bug must not fail the step that happened to notify it
      }
    }
  }
}

/** "step 2/3: upgrade": the commit status text the issue asks for. */
export function describeStep(info: Pick<StepInfo, 'stepIndex' | 'stepCount' | 'action'>): string {
  return `step ${info.stepIndex + 1}/${info.stepCount}: ${info.action}`;
}
