// Safety invariant: a failed or hung savepoint leaves the job RUNNING on its old spec and nothing
// after it runs; once the cause is gone, retrying the failed step carries the flow to its end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createRunningJob,
  enqueue,
  eventually,
  flinkJob,
  jobTruth,
  letItRun,
  startWorkersEnv,
  stepReaches,
  stepState,
  storedSavepoints,
  transitionOf,
  type WorkersEnv,
} from './workers-harness.ts';

const FAULT = 'sim.flinkops.io/savepoint';

async function setFault(
  env: WorkersEnv,
  namespace: string,
  name: string,
  value: string | null,
): Promise<void> {
  await env.client.patch(namespace, name, () => ({ metadata: { annotations: { [FAULT]: value } } }));
}

async function assertRunningOnOldSpec(env: WorkersEnv, namespace: string, name: string): Promise<void> {
  const live = await eventually(`${namespace}/${name} to be back to running`, async () => {
    const obj = await env.client.get(namespace, name);
    return obj?.spec.job?.state === 'running' && obj.status?.jobStatus?.state === 'RUNNING' ? obj : null;
  });
  assert.equal(live.spec.image, 'flink:1.20', 'the new spec was applied although the savepoint failed');
  assert.equal((await jobTruth(env, namespace, name)).running, true);
}

describe('safety: a failed savepoint stops the flow', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv();
  });
  after(async () => {
    await env?.stop();
  });

  it('fails savepoint-suspend with the operator text, keeps the old job running, and a retry finishes the flow', async () => {
    const previous = flinkJob('team-f', 'declined');
    await createRunningJob(env, previous);
    await letItRun(env, 'team-f', 'declined', 200);
    await setFault(env, 'team-f', 'declined', 'fail');
    const result = await enqueue(env, {
      commit: env.commit('declined: flink 1.20.1'),
      transition: transitionOf('team-f', 'declined', 'update', ['savepoint-suspend', 'upgrade', 'resume']),
      target: flinkJob('team-f', 'declined', { image: 'flink:1.20.1' }),
      previous,
    });
    const [suspendId, upgradeId, resumeId] = result.jobIds;
    const failed = await stepReaches(env, suspendId, 'failed');
    assert.match(failed.failedReason, /Savepoint failed|Checkpoint was declined/);
    assert.match(failed.failedReason, /reverted spec\.job\.state to running/);
    assert.equal(failed.attemptsMade, 1, 'a semantic failure must wait for a human, not be retried');
    await assertRunningOnOldSpec(env, 'team-f', 'declined');
    assert.equal(await stepState(env, upgradeId), 'waiting-children');
    assert.equal(await stepState(env, resumeId), 'waiting-children');
    assert.equal((await env.ledger.list('team-f/declined')).length, 0);

    // the human fixes the cause and retries the failed step (what the queue UI and `flinkops retry` do)
    await setFault(env, 'team-f', 'declined', null);
    await failed.retry('failed');
    await stepReaches(env, resumeId, 'completed');
    const suspended = await stepReaches(env, suspendId, 'completed');
    const path = suspended.returnvalue.savepointPath as string;
    const live = await env.client.get('team-f', 'declined');
    assert.equal(live?.spec.image, 'flink:1.20.1');
    const truth = await jobTruth(env, 'team-f', 'declined');
    assert.equal(truth.restoredFrom.path, path);
    const stored = (await storedSavepoints(env, 'team-f', 'declined')).find((s) => s.path === path);
    assert.ok(stored && truth.offset >= stored.offset);
  });
});

describe('safety: a hung savepoint stops the flow at its timeout', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv({ timeouts: { 'savepoint-suspend': 3_000 } });
  });
  after(async () => {
    await env?.stop();
  });

  it('times out naming the deployment and the last state, and leaves the job running on its old spec', async () => {
    const previous = flinkJob('team-f', 'stuck');
    await createRunningJob(env, previous);
    await setFault(env, 'team-f', 'stuck', 'hang');
    const result = await enqueue(env, {
      commit: env.commit('stuck: flink 1.20.1'),
      transition: transitionOf('team-f', 'stuck', 'update', ['savepoint-suspend', 'upgrade', 'resume']),
      target: flinkJob('team-f', 'stuck', { image: 'flink:1.20.1' }),
      previous,
    });
    const failed = await stepReaches(env, result.jobIds[0], 'failed');
    assert.match(failed.failedReason, /team-f\/stuck: timed out after 3s waiting for lifecycle SUSPENDED/);
    assert.match(failed.failedReason, /last observed: lifecycle/);
    await assertRunningOnOldSpec(env, 'team-f', 'stuck');
    assert.equal(await stepState(env, result.jobIds[1]), 'waiting-children');
    assert.equal(await stepState(env, result.jobIds[2]), 'waiting-children');
    assert.equal((await storedSavepoints(env, 'team-f', 'stuck')).length, 0);
  });
});
