// Safety invariant: guarded-delete refuses without approval, takes a final savepoint, records it, and
// only then deletes; if the savepoint fails, nothing is deleted.
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

describe('safety: guarded delete', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv();
  });
  after(async () => {
    await env?.stop();
  });

  function deleteInput(namespace: string, name: string, commit: string, deleteApproved: boolean) {
    return {
      commit,
      transition: transitionOf(namespace, name, 'delete', ['guarded-delete']),
      target: null,
      previous: flinkJob(namespace, name),
      deleteApproved,
    };
  }

  it('refuses without the approval trailer and deletes nothing', async () => {
    await createRunningJob(env, flinkJob('team-d', 'unapproved'));
    const result = await enqueue(
      env,
      deleteInput('team-d', 'unapproved', env.commit('remove unapproved'), false),
    );
    const failed = await stepReaches(env, result.jobIds[0], 'failed');
    assert.match(
      failed.failedReason,
      /needs approval: add trailer Flinkops-Approve-Delete: team-d\/unapproved/,
    );
    assert.equal(failed.attemptsMade, 1);
    assert.ok(await env.client.get('team-d', 'unapproved'), 'the deployment was deleted without approval');
    assert.equal(
      (await storedSavepoints(env, 'team-d', 'unapproved')).length,
      0,
      'a refused delete took a savepoint',
    );
  });

  it('takes a final savepoint, records it in the ledger, then deletes', async () => {
    await createRunningJob(env, flinkJob('team-d', 'retired'));
    await letItRun(env, 'team-d', 'retired', 300);
    const commit = env.commit('remove retired\n\nFlinkops-Approve-Delete: team-d/retired');
    const result = await enqueue(env, deleteInput('team-d', 'retired', commit, true));
    const done = await stepReaches(env, result.jobIds[0], 'completed');
    const path = done.returnvalue.savepointPath as string;
    assert.ok(path, 'guarded-delete returned no final savepoint');
    assert.equal(await env.client.get('team-d', 'retired'), null, 'the deployment still exists');
    const stored = (await storedSavepoints(env, 'team-d', 'retired')).find((s) => s.path === path);
    assert.ok(stored, `final savepoint ${path} is not in storage`);
    assert.ok(
      stored.offset >= 300,
      `final savepoint at offset ${stored.offset}: not taken from the running job`,
    );
    const entry = (await env.ledger.list('team-d/retired')).find((e) => e.path === path);
    assert.ok(entry, 'the final savepoint is not in the ledger');
    assert.equal(entry.step, 'guarded-delete');
    assert.equal(entry.commit, commit);
    // the log shows the order: savepoint recorded before the delete was sent
    const host = env.host;
    assert.ok(host);
    const { logs } = await host.queue.queue.getJobLogs(result.jobIds[0]);
    const recordedAt = logs.findIndex((l) => l.includes('recorded savepoint'));
    const deletedAt = logs.findIndex((l) => l.includes('deleting team-d/retired'));
    assert.ok(recordedAt >= 0 && deletedAt > recordedAt, `log order wrong:\n${logs.join('\n')}`);
  });

  it('deletes nothing when the final savepoint fails', async () => {
    await createRunningJob(env, flinkJob('team-d', 'fragile'));
    await env.client.patch('team-d', 'fragile', () => ({
      metadata: { annotations: { 'sim.flinkops.io/savepoint': 'fail' } },
    }));
    const commit = env.commit('remove fragile\n\nFlinkops-Approve-Delete: team-d/fragile');
    const result = await enqueue(env, deleteInput('team-d', 'fragile', commit, true));
    const failed = await stepReaches(env, result.jobIds[0], 'failed');
    assert.match(failed.failedReason, /savepoint/i);
    const live = await env.client.get('team-d', 'fragile');
    assert.ok(live, 'the deployment was deleted although its final savepoint failed');
    assert.equal(live.metadata.deletionTimestamp, undefined);
    assert.equal((await jobTruth(env, 'team-d', 'fragile')).running, true);
    assert.equal((await env.ledger.list('team-d/fragile')).length, 0);
  });

  it("uses a suspended job's upgrade savepoint as its final state", async () => {
    await createRunningJob(env, flinkJob('team-d', 'paused'));
    await letItRun(env, 'team-d', 'paused', 200);
    const suspended = await enqueue(env, {
      commit: env.commit('pause paused'),
      transition: transitionOf('team-d', 'paused', 'update', ['savepoint-suspend']),
      target: flinkJob('team-d', 'paused', { state: 'suspended' }),
      previous: flinkJob('team-d', 'paused'),
    });
    const path = (await stepReaches(env, suspended.jobIds[0], 'completed')).returnvalue
      .savepointPath as string;
    const commit = env.commit('remove paused\n\nFlinkops-Approve-Delete: team-d/paused');
    const result = await enqueue(env, deleteInput('team-d', 'paused', commit, true));
    const done = await stepReaches(env, result.jobIds[0], 'completed');
    assert.equal(done.returnvalue.savepointPath, path, JSON.stringify(done.returnvalue));
    assert.equal((await storedSavepoints(env, 'team-d', 'paused')).length, 1, 'a second savepoint was taken');
    // the ledger records a path once: the suspend's entry is the final state's record
    assert.ok(
      (await env.ledger.list('team-d/paused')).some((e) => e.path === path),
      'final state not in the ledger',
    );
    assert.equal(await env.client.get('team-d', 'paused'), null);
  });

  it('deletes a session cluster without a savepoint (it holds no job state)', async () => {
    const session = flinkJob('team-d', 'shared-session');
    delete session.spec.job;
    await createRunningJob(env, session);
    const commit = env.commit('remove shared-session\n\nFlinkops-Approve-Delete: team-d/shared-session');
    const result = await enqueue(env, {
      ...deleteInput('team-d', 'shared-session', commit, true),
      previous: session,
    });
    const done = await stepReaches(env, result.jobIds[0], 'completed');
    assert.equal(done.returnvalue.savepointPath, undefined);
    assert.equal(await env.client.get('team-d', 'shared-session'), null);
  });
});
