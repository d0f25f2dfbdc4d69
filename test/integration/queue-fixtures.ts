// Shared builders and bounded waits for the queue tests.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import type { StepAction, Transition } from '../../src/plan/types.ts';
import type { TransitionJobInput } from '../../src/queue/flow.ts';

export function sha(n: number): string {
  return `${n.toString(16).padStart(6, '0')}${'c0ffee'.repeat(6)}`.slice(0, 40);
}

export function manifest(namespace: string, name: string, image = 'flink:1.20'): FlinkDeployment {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace },
    spec: {
      image,
      flinkVersion: 'v1_20',
      job: { jarURI: 'local:///opt/job.jar', upgradeMode: 'savepoint', state: 'running' },
    },
  };
}

export function transition(namespace: string, name: string, actions: StepAction[]): Transition {
  return {
    namespace,
    name,
    change: 'update',
    steps: actions.map((action) => ({ action, reason: `test ${action}` })),
    safety: 'safe',
    warnings: [],
    diff: [],
  };
}

export function upgradeInput(
  commit: string,
  namespace: string,
  name: string,
  actions: StepAction[] = ['savepoint-suspend', 'upgrade', 'resume'],
): TransitionJobInput {
  return {
    commit,
    transition: transition(namespace, name, actions),
    target: manifest(namespace, name, `flink:${commit.slice(0, 6)}`),
    previous: manifest(namespace, name),
  };
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs` (generous: shared 2-core machine). */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}
