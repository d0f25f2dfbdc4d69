// The step workers end to end through real BullMQ against the embedded cluster: a savepoint upgrade
// keeps every record, a manual savepoint does not restart the job, re-running finished work does nothing.
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
  storedSavepoints,
  transitionOf,
  type WorkersEnv,
} from './workers-harness.ts';

describe('step workers', () => {
  let env: WorkersEnv;

  before(async () => {
    env = await startWorkersEnv();
  });
  after(async () => {
    await env?.stop();
  });

  it('runs savepoint-suspend, upgrade, resume in order and the job resumes from the savepoint with nothing lost', async () => {
    const before = flinkJob('team-a', 'orders');
    await createRunningJob(env, before);
    await letItRun(env, 'team-a', 'orders');
    const target = flinkJob('team-a', 'orders', { image: 'flink:1.20.1' });
    const commit = env.commit('orders: flink 1.20.1');
    const result = await enqueue(env, {
      commit,
      transition: transitionOf('team-a', 'orders', 'update', ['savepoint-suspend', 'upgrade', 'resume']),
      target,
      previous: before,
    });
    const [suspendId, upgradeId, resumeId] = result.jobIds;
    const resumed = await stepReaches(env, resumeId, 'completed');
    const suspended = await stepReaches(env, suspendId, 'completed');
    const upgraded = await stepReaches(env, upgradeId, 'completed');

    // strictly in order: each step started after the previous one finished
    assert.ok(
      (suspended.finishedOn as number) <= (upgraded.processedOn as number),
      'upgrade started before the suspend finished',
    );
    assert.ok(
      (upgraded.finishedOn as number) <= (resumed.processedOn as number),
      'resume started before the upgrade finished',
    );

    // every wait says in the job log what it waits for
    const { logs } = await env.host!.queue.queue.getJobLogs(suspendId);
    assert.ok(
      logs.some(
        (l) =>
          l.includes('waiting up to') &&
          l.includes('lifecycle SUSPENDED with a new jobStatus.upgradeSavepointPath'),
      ),
      logs.join('\n'),
    );

    const savepointPath = suspended.returnvalue.savepointPath;
    assert.ok(savepointPath, 'savepoint-suspend returned no savepoint path');
    const entries = await env.ledger.list('team-a/orders');
    const entry = entries.find((e) => e.path === savepointPath);
    assert.ok(entry, `ledger lacks ${savepointPath}: ${JSON.stringify(entries)}`);
    assert.equal(entry.step, 'savepoint-suspend');
    assert.equal(entry.commit, commit);

    const live = await env.client.get('team-a', 'orders');
    assert.equal(live?.spec.image, 'flink:1.20.1');
    assert.equal(live?.spec.job?.state, 'running');
    assert.equal(live?.status?.lifecycleState, 'STABLE');

    const stored = (await storedSavepoints(env, 'team-a', 'orders')).find((s) => s.path === savepointPath);
    assert.ok(stored, `savepoint ${savepointPath} is not in simulated storage`);
    const truth = await jobTruth(env, 'team-a', 'orders');
    assert.equal(truth.restoredFrom.kind, 'savepoint');
    assert.equal(truth.restoredFrom.path, savepointPath);
    assert.equal(truth.restoredFrom.offset, stored.offset);
    assert.ok(
      truth.offset >= stored.offset,
      `offset ${truth.offset} went back before the savepoint's ${stored.offset}`,
    );
  });

  it('takes a manual savepoint without restarting the job and records it', async () => {
    await createRunningJob(env, flinkJob('team-a', 'payments'));
    await letItRun(env, 'team-a', 'payments', 200);
    const jobIdBefore = (await env.client.get('team-a', 'payments'))?.status?.jobStatus?.jobId;
    const commit = env.commit('payments: savepoint');
    const result = await enqueue(env, {
      commit,
      transition: transitionOf('team-a', 'payments', 'update', ['savepoint']),
      target: flinkJob('team-a', 'payments'),
      previous: flinkJob('team-a', 'payments'),
    });
    const done = await stepReaches(env, result.jobIds[0], 'completed');
    const path = done.returnvalue.savepointPath as string;
    assert.ok(
      (await storedSavepoints(env, 'team-a', 'payments')).some((s) => s.path === path),
      `${path} not in storage`,
    );
    const newest = await env.ledger.newest('team-a', 'payments');
    assert.equal(newest?.path, path);
    assert.equal(newest?.step, 'savepoint');
    const live = await env.client.get('team-a', 'payments');
    assert.equal(live?.status?.jobStatus?.jobId, jobIdBefore, 'the job was restarted by a manual savepoint');
    assert.equal(live?.status?.jobStatus?.state, 'RUNNING');
  });

  it('finds a finished suspend again without a second savepoint (idempotent re-run)', async () => {
    await createRunningJob(env, flinkJob('team-a', 'clicks'));
    await letItRun(env, 'team-a', 'clicks', 200);
    const first = await enqueue(env, {
      commit: env.commit('clicks: suspend'),
      transition: transitionOf('team-a', 'clicks', 'update', ['savepoint-suspend']),
      target: flinkJob('team-a', 'clicks', { state: 'suspended' }),
      previous: flinkJob('team-a', 'clicks'),
    });
    const firstRun = await stepReaches(env, first.jobIds[0], 'completed');
    const savepointsAfterFirst = await storedSavepoints(env, 'team-a', 'clicks');
    // the same step again (as after a crash between finishing and reporting): nothing new happens
    const again = await enqueue(env, {
      commit: env.commit('clicks: suspend again'),
      transition: transitionOf('team-a', 'clicks', 'update', ['savepoint-suspend']),
      target: flinkJob('team-a', 'clicks', { state: 'suspended' }),
      previous: flinkJob('team-a', 'clicks'),
    });
    const secondRun = await stepReaches(env, again.jobIds[0], 'completed');
    assert.equal(secondRun.returnvalue.skipped, true);
    assert.equal(secondRun.returnvalue.savepointPath, firstRun.returnvalue.savepointPath);
    assert.deepEqual(await storedSavepoints(env, 'team-a', 'clicks'), savepointsAfterFirst);
  });

  it('upgrades a last-state job with suspend, upgrade, resume and it continues from its last checkpoint', async () => {
    const before = flinkJob('team-a', 'views', { upgradeMode: 'last-state' });
    await createRunningJob(env, before);
    await letItRun(env, 'team-a', 'views', 1_500);
    const result = await enqueue(env, {
      commit: env.commit('views: flink 1.20.1'),
      transition: transitionOf('team-a', 'views', 'update', ['suspend', 'upgrade', 'resume']),
      target: flinkJob('team-a', 'views', { upgradeMode: 'last-state', image: 'flink:1.20.1' }),
      previous: before,
    });
    await stepReaches(env, result.jobIds[2], 'completed');
    const live = await env.client.get('team-a', 'views');
    assert.equal(live?.spec.image, 'flink:1.20.1');
    const truth = await jobTruth(env, 'team-a', 'views');
    assert.equal(truth.restoredFrom.kind, 'checkpoint');
    assert.ok(truth.restoredFrom.offset > 0, 'last-state upgrade restarted from empty state');
    assert.ok(truth.offset >= truth.restoredFrom.offset);
  });

  it('takes another manual savepoint after an upgrade dropped the nonce from the spec', async () => {
    const manifest = flinkJob('team-a', 'audit');
    await createRunningJob(env, manifest);
    const savepointStep = async (label: string) => {
      const result = await enqueue(env, {
        commit: env.commit(label),
        transition: transitionOf('team-a', 'audit', 'update', ['savepoint']),
        target: manifest,
        previous: manifest,
      });
      return (await stepReaches(env, result.jobIds[0], 'completed')).returnvalue.savepointPath as string;
    };
    const first = await savepointStep('audit: savepoint');
    // an IGNORE-only change: the operator keeps the reconciled spec body (and its nonce)
    const tuned = flinkJob('team-a', 'audit');
    tuned.spec.flinkConfiguration = {
      ...tuned.spec.flinkConfiguration,
      'kubernetes.operator.savepoint.history.max.count': '5',
    };
    const upgraded = await enqueue(env, {
      commit: env.commit('audit: keep 5 savepoints'),
      transition: transitionOf('team-a', 'audit', 'update', ['upgrade']),
      target: tuned,
      previous: manifest,
    });
    await stepReaches(env, upgraded.jobIds[0], 'completed');
    assert.equal((await env.client.get('team-a', 'audit'))?.spec.job?.savepointTriggerNonce, undefined);
    const second = await savepointStep('audit: savepoint again');
    assert.notEqual(second, first);
    const paths = (await storedSavepoints(env, 'team-a', 'audit')).map((s) => s.path);
    assert.ok(paths.includes(first) && paths.includes(second), JSON.stringify(paths));
  });

  it('re-running an applied create or upgrade changes nothing (no new generation, no restart)', async () => {
    const manifest = flinkJob('team-a', 'rerun');
    await createRunningJob(env, manifest);
    const again = await enqueue(env, {
      commit: env.commit('rerun: create again'),
      transition: transitionOf('team-a', 'rerun', 'create', ['create']),
      target: manifest,
      previous: null,
    });
    assert.equal((await stepReaches(env, again.jobIds[0], 'completed')).returnvalue.skipped, true);
    const target = flinkJob('team-a', 'rerun', { upgradeMode: 'stateless', image: 'flink:1.20.1' });
    const first = await enqueue(env, {
      commit: env.commit('rerun: stateless 1.20.1'),
      transition: transitionOf('team-a', 'rerun', 'update', ['upgrade']),
      target,
      previous: manifest,
    });
    await stepReaches(env, first.jobIds[0], 'completed');
    const settled = await eventually('the upgraded job to run', async () => {
      const obj = await env.client.get('team-a', 'rerun');
      return obj?.status?.lifecycleState === 'STABLE' ? obj : null;
    });
    const second = await enqueue(env, {
      commit: env.commit('rerun: same again'),
      transition: transitionOf('team-a', 'rerun', 'update', ['upgrade']),
      target,
      previous: manifest,
    });
    const rerun = await stepReaches(env, second.jobIds[0], 'completed');
    assert.equal(rerun.returnvalue.skipped, true);
    const live = await env.client.get('team-a', 'rerun');
    assert.equal(live?.metadata.generation, settled.metadata.generation);
    assert.equal(live?.status?.jobStatus?.jobId, settled.status?.jobStatus?.jobId, 'the job was restarted');
  });

  it('re-running the create of a manifest with a field the CRD lacks finds the object (the server pruned the field)', async () => {
    const manifest = flinkJob('team-a', 'typo');
    (manifest.spec as Record<string, unknown>).imagee = 'flink:2.0';
    const first = await enqueue(env, {
      commit: env.commit('typo: create'),
      transition: transitionOf('team-a', 'typo', 'create', ['create']),
      target: manifest,
      previous: null,
    });
    await stepReaches(env, first.jobIds[0], 'completed');
    const live = await env.client.get('team-a', 'typo');
    assert.ok(live, 'created');
    assert.equal((live.spec as Record<string, unknown>).imagee, undefined, 'the API server pruned it');
    const again = await enqueue(env, {
      commit: env.commit('typo: create again'),
      transition: transitionOf('team-a', 'typo', 'create', ['create']),
      target: manifest,
      previous: null,
    });
    const rerun = await stepReaches(env, again.jobIds[0], 'completed');
    assert.equal(rerun.returnvalue.skipped, true, 'found, not "already exists with a different spec"');
  });
});
