// Safety invariant: in savepoint mode no upgrade touches the spec unless the savepoint of this
// transition's savepoint-suspend is recorded in the ledger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTransitionFlow, DEFAULT_STEP_JOB_POLICY } from '../../src/queue/flow.ts';
import type { StepJobData } from '../../src/queue/types.ts';
import {
  createRunningJob,
  enqueue,
  flinkJob,
  jobTruth,
  startWorkersEnv,
  stepReaches,
  stepState,
  transitionOf,
  type WorkersEnv,
} from './workers-harness.ts';

describe('safety: no upgrade without the recorded savepoint', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv();
  });
  after(async () => {
    await env?.stop();
  });

  it('refuses an upgrade whose savepoint-suspend left nothing in the ledger, and the job keeps running on its old spec', async () => {
    const previous = flinkJob('team-s', 'ledgerless');
    await createRunningJob(env, previous);
    const target = flinkJob('team-s', 'ledgerless', { image: 'flink:1.20.1' });
    const commit = env.commit('ledgerless: flink 1.20.1');
    // The upgrade step of a savepoint transition, exactly as the enqueuer builds it, added on its own:
    // its savepoint-suspend never ran, so the ledger holds no savepoint of this transition.
    const built = buildTransitionFlow(
      {
        commit,
        transition: transitionOf('team-s', 'ledgerless', 'update', [
          'savepoint-suspend',
          'upgrade',
          'resume',
        ]),
        target,
        previous,
      },
      DEFAULT_STEP_JOB_POLICY,
    );
    assert.ok(built);
    const upgradeNode = built.flow.children?.[0];
    assert.ok(upgradeNode);
    const data = upgradeNode.data as StepJobData;
    assert.equal(data.action, 'upgrade');
    const host = env.host;
    assert.ok(host);
    await host.queue.queue.add(upgradeNode.name, data, { jobId: upgradeNode.opts?.jobId, attempts: 3 });

    const failed = await stepReaches(env, upgradeNode.opts?.jobId as string, 'failed');
    assert.match(
      failed.failedReason,
      /refusing to upgrade team-s\/ledgerless: the ledger holds no savepoint/,
    );
    assert.equal(failed.attemptsMade, 1, 'a safety refusal must not be retried automatically');
    const live = await env.client.get('team-s', 'ledgerless');
    assert.equal(live?.spec.image, 'flink:1.20');
    assert.equal(live?.spec.job?.state, 'running');
    assert.equal((await jobTruth(env, 'team-s', 'ledgerless')).running, true);
  });

  it('refuses a savepoint-mode upgrade of a running job when the transition took no savepoint', async () => {
    const previous = flinkJob('team-s', 'unsaved');
    await createRunningJob(env, previous);
    const result = await enqueue(env, {
      commit: env.commit('unsaved: flink 1.20.1'),
      transition: transitionOf('team-s', 'unsaved', 'update', ['upgrade', 'resume']),
      target: flinkJob('team-s', 'unsaved', { image: 'flink:1.20.1' }),
      previous,
    });
    const failed = await stepReaches(env, result.jobIds[0], 'failed');
    assert.match(failed.failedReason, /refusing to upgrade team-s\/unsaved in savepoint mode/);
    assert.equal(
      await stepState(env, result.jobIds[1]),
      'waiting-children',
      'resume must not run after a refused upgrade',
    );
    const live = await env.client.get('team-s', 'unsaved');
    assert.equal(live?.spec.image, 'flink:1.20');
    assert.equal((await jobTruth(env, 'team-s', 'unsaved')).running, true);
  });
});
