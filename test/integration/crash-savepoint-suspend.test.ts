// kill -9 of the worker process in the middle of savepoint-suspend: the step stalls, a second worker
// process picks it up, reads the live object and its own write-ahead notes, and finishes the flow with
// exactly one savepoint and no records lost.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { TransitionQueue } from '../../src/queue/transition-queue.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import {
  eventually,
  flinkJob,
  jobTruth,
  letItRun,
  startWorkersEnv,
  storedSavepoints,
  transitionOf,
  type WorkersEnv,
} from './workers-harness.ts';

const root = new URL('../..', import.meta.url).pathname;

function startWorkerProcess(env: WorkersEnv): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/queue/worker-main.ts',
      '--redis',
      env.redis.url,
      '--repo',
      env.repo.dir,
      '--lock-duration',
      '2000',
      '--stalled-interval',
      '1000',
      '--max-stalled-count',
      '3',
    ],
    {
      cwd: root,
      env: { ...process.env, KUBECONFIG: env.kubeconfigPath, FLINKOPS_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker process not ready after 60s: ${stderr}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code}: ${stderr}`));
    });
  });
  return { child, ready };
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('crash during savepoint-suspend', () => {
  let env: WorkersEnv;
  let queue: TransitionQueue;
  const children: ChildProcess[] = [];

  before(async () => {
    env = await startWorkersEnv({ inProcessWorkers: false });
    queue = new TransitionQueue({ redisUrl: env.redis.url });
  });
  after(async () => {
    for (const child of children) await kill9(child);
    await queue?.close();
    await env?.stop();
  });

  async function stepOf(jobId: string) {
    return queue.queue.getJob(jobId);
  }

  it('a second worker finishes the flow with exactly one savepoint and a continuous offset', async () => {
    const first = startWorkerProcess(env);
    children.push(first.child);
    first.child.once('exit', () => undefined);
    await first.ready;

    const manifest = flinkJob('team-c', 'ledger-feed');
    const created = await queue.enqueueTransition({
      commit: env.commit('create ledger-feed'),
      transition: transitionOf('team-c', 'ledger-feed', 'create', ['create']),
      target: manifest,
      previous: null,
    });
    await eventually(
      'the create step to complete',
      async () => (await (await stepOf(created.jobIds[0]))?.getState()) === 'completed',
    );
    await letItRun(env, 'team-c', 'ledger-feed', 300);

    // the savepoint hangs, so the kill lands while the step waits for it
    await env.client.patch('team-c', 'ledger-feed', () => ({
      metadata: { annotations: { 'sim.flinkops.io/savepoint': 'hang' } },
    }));
    const upgrade = await queue.enqueueTransition({
      commit: env.commit('ledger-feed: flink 1.20.1'),
      transition: transitionOf('team-c', 'ledger-feed', 'update', ['savepoint-suspend', 'upgrade', 'resume']),
      target: flinkJob('team-c', 'ledger-feed', { image: 'flink:1.20.1' }),
      previous: manifest,
    });
    const [suspendId, , resumeId] = upgrade.jobIds;
    await eventually(
      'savepoint-suspend to have written ahead and asked the operator to suspend',
      async () => {
        const job = await stepOf(suspendId);
        const notes = (job?.data as StepJobData | undefined)?.progress;
        const live = await env.client.get('team-c', 'ledger-feed');
        return (
          (await job?.getState()) === 'active' &&
          notes?.suspendBefore &&
          live?.spec.job?.state === 'suspended'
        );
      },
    );
    await kill9(first.child);

    // the savepoint goes through now; a second worker process takes over the stalled step
    await env.client.patch('team-c', 'ledger-feed', () => ({
      metadata: { annotations: { 'sim.flinkops.io/savepoint': null } },
    }));
    const second = startWorkerProcess(env);
    children.push(second.child);
    await second.ready;
    await eventually(
      'the resume step to complete on the second worker',
      async () => {
        const job = await stepOf(resumeId);
        const state = await job?.getState();
        if (state === 'failed') throw new Error(`resume failed: ${job?.failedReason}`);
        return state === 'completed';
      },
      120_000,
    );

    const suspendJob = await stepOf(suspendId);
    assert.ok((suspendJob?.stalledCounter ?? 0) >= 1, 'the killed step was not recovered as stalled');
    const path = suspendJob?.returnvalue?.savepointPath as string;
    const savepoints = await storedSavepoints(env, 'team-c', 'ledger-feed');
    assert.equal(
      savepoints.length,
      1,
      `expected exactly one savepoint, storage has ${JSON.stringify(savepoints)}`,
    );
    assert.equal(savepoints[0].path, path);
    const recorded = (await env.ledger.list('team-c/ledger-feed')).filter(
      (e) => e.step === 'savepoint-suspend',
    );
    assert.deepEqual(
      recorded.map((e) => e.path),
      [path],
    );
    const truth = await jobTruth(env, 'team-c', 'ledger-feed');
    assert.equal(truth.restoredFrom.path, path);
    assert.equal(truth.restoredFrom.offset, savepoints[0].offset);
    assert.ok(truth.offset >= savepoints[0].offset);
    const live = await env.client.get('team-c', 'ledger-feed');
    assert.equal(live?.spec.image, 'flink:1.20.1');
    assert.equal(live?.status?.lifecycleState, 'STABLE');
  });
});
