// Safety invariant: guarded-delete refuses without approval, takes a final savepoint, records it, and
// only then deletes; if the savepoint fails, nothing is deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LAST_STATE_DUMMY_PATH } from '../../src/cluster/health.ts';
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

  /** the live object once `check` holds (the operator has reconciled it that far) */
  const liveWhen = (
    namespace: string,
    name: string,
    what: string,
    check: (obj: FlinkDeployment) => boolean,
  ) =>
    eventually(`${namespace}/${name}: ${what}`, async () => {
      const obj = await env.client.get(namespace, name);
      return obj && check(obj) ? obj : null;
    });

  async function approvedDelete(namespace: string, name: string, previous: FlinkDeployment) {
    const commit = env.commit(`remove ${name}\n\nFlinkops-Approve-Delete: ${namespace}/${name}`);
    const result = await enqueue(env, { ...deleteInput(namespace, name, commit, true), previous });
    return { commit, jobId: result.jobIds[0] };
  }

  it('deletes a job created suspended that never started (lifecycle CREATED): no state existed', async () => {
    const manifest = flinkJob('team-d', 'never-started', { state: 'suspended' });
    await createRunningJob(env, manifest);
    await liveWhen(
      'team-d',
      'never-started',
      'lifecycle CREATED',
      (o) => o.status?.lifecycleState === 'CREATED',
    );
    const { jobId } = await approvedDelete('team-d', 'never-started', manifest);
    const done = await stepReaches(env, jobId, 'completed');
    assert.equal(done.returnvalue.savepointPath, undefined);
    assert.match(done.returnvalue.summary, /no state existed/);
    assert.equal(await env.client.get('team-d', 'never-started'), null, 'the deployment still exists');
    assert.equal((await storedSavepoints(env, 'team-d', 'never-started')).length, 0);
    assert.equal((await env.ledger.list('team-d/never-started')).length, 0, 'a ledger entry without state');
  });

  it('deletes a job whose very first start FAILED before it ever ran (bad initialSavepointPath)', async () => {
    const manifest = flinkJob('team-d', 'bad-start');
    manifest.spec.job!.initialSavepointPath = 's3://flink-data/savepoints/savepoint-does-not-exist';
    await env.client.create(manifest);
    await liveWhen('team-d', 'bad-start', 'job FAILED', (o) => o.status?.jobStatus?.state === 'FAILED');
    assert.equal((await jobTruth(env, 'team-d', 'bad-start')).running, false);
    const { jobId } = await approvedDelete('team-d', 'bad-start', manifest);
    const done = await stepReaches(env, jobId, 'completed');
    assert.equal(done.returnvalue.savepointPath, undefined);
    assert.match(done.returnvalue.summary, /no state existed/);
    assert.equal(await env.client.get('team-d', 'bad-start'), null);
    assert.equal((await env.ledger.list('team-d/bad-start')).length, 0);
  });

  it('still refuses a job that ran and then FAILED (its checkpoints are state the operator restores from)', async () => {
    const manifest = flinkJob('team-d', 'crashed');
    await createRunningJob(env, manifest);
    await letItRun(env, 'team-d', 'crashed', 300);
    // a restart whose start fails: the job ran before, so its checkpoints and savepoints are real state
    await env.client.patch('team-d', 'crashed', () => ({
      metadata: { annotations: { 'sim.flinkops.io/start': 'fail' } },
      spec: { restartNonce: 1 },
    }));
    await liveWhen('team-d', 'crashed', 'job FAILED', (o) => o.status?.jobStatus?.state === 'FAILED');
    const { jobId } = await approvedDelete('team-d', 'crashed', manifest);
    const failed = await stepReaches(env, jobId, 'failed');
    assert.match(failed.failedReason, /refusing to delete team-d\/crashed/);
    assert.ok(await env.client.get('team-d', 'crashed'), 'a job with state was deleted');
  });

  it('refuses a last-state-suspended job (its state is in the HA metadata the delete removes), never recording a stale or dummy path', async () => {
    // started from a savepoint (as a re-create from the ledger is): upgradeSavepointPath names that old savepoint
    const source = flinkJob('team-d', 'ls-source');
    await createRunningJob(env, source);
    await letItRun(env, 'team-d', 'ls-source', 200);
    const suspendedSource = await enqueue(env, {
      commit: env.commit('pause ls-source'),
      transition: transitionOf('team-d', 'ls-source', 'update', ['savepoint-suspend']),
      target: flinkJob('team-d', 'ls-source', { state: 'suspended' }),
      previous: source,
    });
    const old = (await stepReaches(env, suspendedSource.jobIds[0], 'completed')).returnvalue
      .savepointPath as string;
    const manifest = flinkJob('team-d', 'ls-job', { upgradeMode: 'last-state' });
    manifest.spec.job!.initialSavepointPath = old;
    await createRunningJob(env, manifest);
    const suspendLastState = async (message: string) => {
      const result = await enqueue(env, {
        commit: env.commit(message),
        transition: transitionOf('team-d', 'ls-job', 'update', ['suspend']),
        target: {
          ...manifest,
          spec: { ...manifest.spec, job: { ...manifest.spec.job!, state: 'suspended' } },
        },
        previous: manifest,
        expectedUpgradeMode: 'last-state',
      });
      await stepReaches(env, result.jobIds[0], 'completed');
    };
    const refuses = async () => {
      const { jobId } = await approvedDelete('team-d', 'ls-job', manifest);
      const failed = await stepReaches(env, jobId, 'failed');
      assert.match(failed.failedReason, /refusing to delete team-d\/ls-job/);
      assert.match(failed.failedReason, /last-state/);
      assert.match(failed.failedReason, /resume it|upgradeMode: savepoint/);
      assert.ok(await env.client.get('team-d', 'ls-job'), 'the last-state-suspended job was deleted');
      const entries = (await env.ledger.list('team-d/ls-job')).filter((e) => e.step === 'guarded-delete');
      assert.deepEqual(entries, [], `recorded as final state: ${entries.map((e) => e.path).join(', ')}`);
      // the refused delete owns the deployment until it is cancelled (as a later commit does)
      await env.host?.queue.cancel(failed.data.transitionId);
    };
    await letItRun(env, 'team-d', 'ls-job', 100);
    const rawPath = async () =>
      (await env.client.get('team-d', 'ls-job'))?.status?.jobStatus?.upgradeSavepointPath;
    await suspendLastState('pause ls-job');
    assert.equal(await rawPath(), old, 'upgradeSavepointPath still names the savepoint it started from');
    await refuses();
    // resumed from HA and suspended again: the operator shows its dummy path
    const resumed = await enqueue(env, {
      commit: env.commit('resume ls-job'),
      transition: transitionOf('team-d', 'ls-job', 'update', ['resume']),
      target: manifest,
      previous: manifest,
    });
    await stepReaches(env, resumed.jobIds[0], 'completed');
    await letItRun(env, 'team-d', 'ls-job', 300);
    await suspendLastState('pause ls-job again');
    assert.equal(await rawPath(), LAST_STATE_DUMMY_PATH);
    await refuses();
    assert.ok(
      !(await env.ledger.list('team-d/ls-job')).some((e) => e.path === LAST_STATE_DUMMY_PATH),
      'the dummy path is in the ledger',
    );
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
