// Safety invariant: a resume that ends FAILED fails the flow with the cause; with rollback 'auto' the
// previous spec is re-applied from the pre-upgrade savepoint, and the failure says so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import {
  createRunningJob,
  enqueue,
  eventually,
  flinkJob,
  jobTruth,
  letItRun,
  startWorkersEnv,
  stepReaches,
  transitionOf,
  type WorkersEnv,
} from './workers-harness.ts';

const START_FAULT = { 'sim.flinkops.io/start': 'fail' };

async function upgradeToBrokenImage(env: WorkersEnv, namespace: string, name: string) {
  const previous = flinkJob(namespace, name);
  await createRunningJob(env, previous);
  await letItRun(env, namespace, name, 200);
  const target: FlinkDeployment = flinkJob(namespace, name, {
    image: 'flink:broken',
    annotations: START_FAULT,
  });
  return enqueue(env, {
    commit: env.commit(`${name}: broken image`),
    transition: transitionOf(namespace, name, 'update', ['savepoint-suspend', 'upgrade', 'resume']),
    target,
    previous,
  });
}

describe('safety: a failed resume without rollback', () => {
  let env: WorkersEnv;
  before(async () => {
    env = await startWorkersEnv({ rollback: 'off' });
  });
  after(async () => {
    await env?.stop();
  });

  it('fails the flow with the job failure as the cause', async () => {
    const result = await upgradeToBrokenImage(env, 'team-r', 'crashy');
    const failed = await stepReaches(env, result.jobIds[2], 'failed');
    assert.match(failed.failedReason, /resume of team-r\/crashy failed: .*FAILED/);
    assert.equal(failed.attemptsMade, 1);
    const live = await env.client.get('team-r', 'crashy');
    assert.equal(
      live?.spec.image,
      'flink:broken',
      'without rollback the failed spec stays for a human to see',
    );
    assert.equal(live?.status?.lifecycleState, 'FAILED');
  });
});

describe('safety: a failed resume with rollback auto', () => {
  let env: WorkersEnv;
  before(async () => {
    env = await startWorkersEnv({ rollback: 'auto' });
  });
  after(async () => {
    await env?.stop();
  });

  it('re-applies the previous spec from the pre-upgrade savepoint and says so', async () => {
    const result = await upgradeToBrokenImage(env, 'team-r', 'healed');
    const suspended = await stepReaches(env, result.jobIds[0], 'completed');
    const savepoint = suspended.returnvalue.savepointPath as string;
    const failed = await stepReaches(env, result.jobIds[2], 'failed');
    assert.match(failed.failedReason, /resume of team-r\/healed failed/);
    assert.ok(
      failed.failedReason.includes(`rolled back to the previous spec (image flink:1.20) from ${savepoint}`),
      failed.failedReason,
    );
    const live = await eventually('the rolled-back job to be STABLE', async () => {
      const obj = await env.client.get('team-r', 'healed');
      return obj?.status?.lifecycleState === 'STABLE' && obj.status.jobStatus?.state === 'RUNNING'
        ? obj
        : null;
    });
    assert.equal(live.spec.image, 'flink:1.20');
    assert.equal(
      live.metadata.annotations?.['sim.flinkops.io/start'],
      undefined,
      'the broken manifest annotations stayed',
    );
    const truth = await jobTruth(env, 'team-r', 'healed');
    assert.equal(truth.running, true);
    assert.equal(truth.restoredFrom.path, savepoint);
  });
});
