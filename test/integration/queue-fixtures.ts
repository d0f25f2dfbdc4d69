// Shared builders and bounded waits for the queue tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, realpathSync as realpath } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import type { StepAction, Transition } from '../../src/plan/types.ts';
import type { TransitionJobInput } from '../../src/queue/flow.ts';
import { TestRedis } from '../helpers/redis-server.ts';

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

/** A worker-main.ts process running the recording test handlers (see queue-test-handlers.ts). */
export interface WorkerProcess {
  child: ChildProcess;
  /** SIGTERM and wait for the exit (graceful close) */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit (a crash) */
  kill(): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url).pathname;

export async function spawnWorker(
  redisUrl: string,
  options: { args?: string[]; stepMs?: number; env?: Record<string, string> } = {},
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/queue/worker-main.ts',
      '--redis',
      redisUrl,
      '--handlers',
      'test/integration/queue-test-handlers.ts',
      '--no-cluster',
      ...(options.args ?? []),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        FLINKOPS_LOG_LEVEL: 'silent',
        QUEUE_TEST_RECORD_URL: redisUrl,
        QUEUE_TEST_STEP_MS: String(options.stepMs ?? 0),
        ...options.env,
      },
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntil(
    `worker process ${child.pid} to print ready (output so far: ${output.slice(-500)})`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`worker exited with ${child.exitCode}: ${output.slice(-2000)}`);
      return output.includes('ready ');
    },
    60_000,
  );
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/**
 * A private redis-server that is really ours: TestRedis picks a free port and then spawns, so under
 * many parallel tests another test's server can take the port in between, and the readiness probe
 * then talks to THAT server. Checking `CONFIG GET dir` against our data dir catches it; we retry.
 */
export async function startOwnRedis(): Promise<TestRedis> {
  for (let attempt = 1; ; attempt++) {
    const server = await TestRedis.start();
    const probe = new Redis({
      host: '127.0.0.1',
      port: server.port,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    let dir = '';
    try {
      dir = ((await probe.config('GET', 'dir')) as string[])[1] ?? '';
    } catch {
      // unreachable: treated as not ours
    } finally {
      probe.disconnect();
    }
    if (dir && existsSync(dir) && realpath(dir) === realpath(server.dir)) return server;
    await server.stop();
    if (attempt >= 5)
      throw new Error(`port ${server.port} answered with another redis-server (dir ${dir}) ${attempt} times`);
  }
}
