// A guarded delete followed, later, by a re-create of the same namespace/name: the job starts from
// the final savepoint the ledger holds, even after Redis lost everything (the ledger lives in git notes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
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

describe('re-create after a guarded delete', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv();
  });
  after(async () => {
    await env?.stop();
  });

  it('restores from the ledger savepoint after Redis was flushed', async () => {
    const manifest = flinkJob('team-l', 'sessions');
    await createRunningJob(env, manifest);
    await letItRun(env, 'team-l', 'sessions', 300);
    const deleted = await enqueue(env, {
      commit: env.commit('remove sessions\n\nFlinkops-Approve-Delete: team-l/sessions'),
      transition: transitionOf('team-l', 'sessions', 'delete', ['guarded-delete']),
      target: null,
      previous: manifest,
      deleteApproved: true,
    });
    const done = await stepReaches(env, deleted.jobIds[0], 'completed');
    const finalSavepoint = done.returnvalue.savepointPath as string;
    assert.equal(await env.client.get('team-l', 'sessions'), null);

    // Redis loses everything; the processes come back with empty caches
    await env.host?.close(5_000);
    const raw = new Redis(env.redis.url, { maxRetriesPerRequest: 1 });
    await raw.flushall();
    raw.disconnect();
    env.reopenLedger();
    await env.startHost();

    const newest = await env.ledger.newest('team-l', 'sessions');
    assert.equal(newest?.path, finalSavepoint, 'the ledger did not rebuild from git notes');
    const created = await enqueue(env, {
      commit: env.commit('bring sessions back'),
      transition: transitionOf('team-l', 'sessions', 'create', ['create']),
      target: manifest,
      previous: null,
      restoreFrom: newest.path,
    });
    await stepReaches(env, created.jobIds[0], 'completed');
    const live = await env.client.get('team-l', 'sessions');
    assert.equal(live?.spec.job?.initialSavepointPath, finalSavepoint);
    const truth = await jobTruth(env, 'team-l', 'sessions');
    const stored = (await storedSavepoints(env, 'team-l', 'sessions')).find((s) => s.path === finalSavepoint);
    assert.ok(stored);
    assert.equal(truth.restoredFrom.kind, 'savepoint');
    assert.equal(truth.restoredFrom.path, finalSavepoint);
    assert.equal(truth.restoredFrom.mode, 'NO_CLAIM');
    assert.ok(truth.offset >= stored.offset);
  });

  it('starts empty when the manifest opts out with flinkops.io/restore: none', async () => {
    const manifest = flinkJob('team-l', 'fresh', { annotations: { 'flinkops.io/restore': 'none' } });
    const created = await enqueue(env, {
      commit: env.commit('fresh start'),
      transition: transitionOf('team-l', 'fresh', 'create', ['create']),
      target: manifest,
      previous: null,
      restoreFrom: 's3://flink-data/savepoints/savepoint-abcdef-000000000000',
    });
    await stepReaches(env, created.jobIds[0], 'completed');
    const live = await env.client.get('team-l', 'fresh');
    assert.equal(live?.spec.job?.initialSavepointPath, undefined);
    assert.equal((await jobTruth(env, 'team-l', 'fresh')).restoredFrom.kind, 'none');
  });
});
