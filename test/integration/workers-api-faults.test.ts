// Transient API trouble (500s, 409 conflicts, dropped watches) during a transition costs retries,
// never the flow: the cluster client and BullMQ attempts absorb it and the steps still finish once each.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createRunningJob,
  enqueue,
  flinkJob,
  jobTruth,
  letItRun,
  startWorkersEnv,
  stepReaches,
  storedSavepoints,
  transitionOf,
  type WorkersEnv,
} from './workers-harness.ts';

describe('step workers under API faults', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv();
  });
  after(async () => {
    env?.sim.setApiFaults({});
    await env?.stop();
  });

  it('finishes a savepoint upgrade with one savepoint while the API answers 500s and 409s and cuts watches', async () => {
    const before = flinkJob('team-x', 'flaky');
    await createRunningJob(env, before);
    await letItRun(env, 'team-x', 'flaky', 300);
    env.sim.setApiFaults({ errorRate: 0.15, conflictRate: 0.3, dropWatchRate: 0.5 });
    let result: Awaited<ReturnType<typeof enqueue>>;
    try {
      result = await enqueue(env, {
        commit: env.commit('flaky: flink 1.20.1'),
        transition: transitionOf('team-x', 'flaky', 'update', ['savepoint-suspend', 'upgrade', 'resume']),
        target: flinkJob('team-x', 'flaky', { image: 'flink:1.20.1' }),
        previous: before,
      });
      await stepReaches(env, result.jobIds[2], 'completed', 120_000);
    } finally {
      env.sim.setApiFaults({});
    }
    const suspended = await stepReaches(env, result.jobIds[0], 'completed');
    const savepoints = await storedSavepoints(env, 'team-x', 'flaky');
    assert.equal(savepoints.length, 1, `expected one savepoint, storage has ${JSON.stringify(savepoints)}`);
    assert.equal(savepoints[0].path, suspended.returnvalue.savepointPath);
    const live = await env.client.get('team-x', 'flaky');
    assert.equal(live?.spec.image, 'flink:1.20.1');
    const truth = await jobTruth(env, 'team-x', 'flaky');
    assert.equal(truth.restoredFrom.path, savepoints[0].path);
    assert.ok(truth.offset >= savepoints[0].offset);
  });
});
