// The rules the project exists for (reference section 10 and issue 3's scenario), proven with the job's truth:
// offsets, what it restored from, and in which mode.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  create,
  deployment,
  errorOf,
  get,
  lastReconciled,
  must,
  NS,
  type SimHarness,
  startSim,
  update,
  waitFor,
  waitProgress,
  waitSettled,
} from './sim-operator-harness.ts';

const h: SimHarness = startSim(200);
after(() => h.close());

test('savepoint-mode suspend then resume keeps the offset: restored from the savepoint in CLAIM mode', async () => {
  create(h, deployment('keep'));
  await waitSettled(h, 'keep', 'STABLE');
  await waitProgress(h, 'keep', 800, 1);
  update(h, 'keep', (fd) => {
    fd.spec.job!.state = 'suspended';
  });
  const suspended = await waitSettled(h, 'keep', 'SUSPENDED');
  const atSuspend = h.sim.getJob(NS, 'keep')!;
  const savepoint = atSuspend.savepoints.at(-1)!;
  assert.equal(atSuspend.offset, savepoint.offset, 'stop-with-savepoint: offset == savepoint offset');
  assert.equal(savepoint.path, suspended.status?.jobStatus?.upgradeSavepointPath);
  update(h, 'keep', (fd) => {
    fd.spec.job!.state = 'running';
  });
  await waitSettled(h, 'keep', 'STABLE');
  const resumed = await waitProgress(h, 'keep', savepoint.offset + 1, 0);
  assert.deepEqual(resumed.restoredFrom, {
    kind: 'savepoint',
    path: savepoint.path,
    offset: savepoint.offset,
    mode: 'CLAIM',
  });
  assert.ok(resumed.offset > savepoint.offset, 'nothing lost, and it keeps going');
});

test('a savepoint-mode suspend deletes the earlier checkpoints even with RETAIN_ON_CANCELLATION', async () => {
  create(h, deployment('prune', { config: { 'state.checkpoints.num-retained': '3' } }));
  await waitSettled(h, 'prune', 'STABLE');
  await waitProgress(h, 'prune', 300, 3);
  const checkpoints = h.sim.getJob(NS, 'prune')!.checkpoints.map((c) => c.path);
  assert.equal(checkpoints.length, 3, 'num-retained checkpoints are kept while running');
  update(h, 'prune', (fd) => {
    fd.spec.job!.state = 'suspended';
  });
  await waitSettled(h, 'prune', 'SUSPENDED');
  const stored = new Set(h.sim.listStorage().map((entry) => entry.path));
  for (const path of checkpoints) assert.equal(stored.has(path), false, `${path} was deleted`);
  assert.deepEqual(h.sim.getJob(NS, 'prune')!.checkpoints, []);
});

test('delete then re-create starts at 0: no savepoint taken, checkpoint pointers gone', async () => {
  create(h, deployment('gone'));
  await waitSettled(h, 'gone', 'STABLE');
  await waitProgress(h, 'gone', 500, 1);
  h.store.delete('flinkdeployments', NS, 'gone');
  await waitFor('gone deleted', () => get(h, 'gone') === undefined);
  const files = h.sim.listStorage().filter((entry) => entry.name === 'gone');
  assert.equal(files.filter((entry) => entry.kind === 'savepoint').length, 0, 'delete takes no savepoint');
  assert.ok(
    files.some((entry) => entry.kind === 'checkpoint'),
    'the checkpoint files stay in storage',
  );
  create(h, deployment('gone'));
  await waitSettled(h, 'gone', 'STABLE');
  const truth = await waitProgress(h, 'gone', 0, 1);
  assert.deepEqual(truth.restoredFrom, { kind: 'none', path: null, offset: 0, mode: null });
  // counting from 0 at 100 records/s with a 2 s interval, checkpoint n holds exactly n * 200 records
  const [checkpoint] = truth.checkpoints;
  const n = Number(/chk-(\d+)$/.exec(checkpoint.path)?.[1]);
  assert.equal(checkpoint.offset, n * 200, 'the new job counts from 0');
});

test('re-create with initialSavepointPath = the last savepoint restores NO_CLAIM from its offset', async () => {
  create(h, deployment('again'));
  await waitSettled(h, 'again', 'STABLE');
  await waitProgress(h, 'again', 500, 1);
  update(h, 'again', (fd) => {
    fd.spec.job!.state = 'suspended';
  });
  const suspended = await waitSettled(h, 'again', 'SUSPENDED');
  const path = suspended.status!.jobStatus!.upgradeSavepointPath!;
  const offset = h.sim.getJob(NS, 'again')!.offset;
  h.store.delete('flinkdeployments', NS, 'again');
  await waitFor('again deleted', () => get(h, 'again') === undefined);
  create(h, deployment('again', { job: { initialSavepointPath: path } }));
  await waitSettled(h, 'again', 'STABLE');
  assert.deepEqual(h.sim.getJob(NS, 'again')!.restoredFrom, {
    kind: 'savepoint',
    path,
    offset,
    mode: 'NO_CLAIM',
  });
});

test('a failed savepoint leaves the job RUNNING on the old spec with status.error set, and retries once the fault is gone', async () => {
  create(h, deployment('sp-fail'));
  const before = await waitSettled(h, 'sp-fail', 'STABLE');
  update(h, 'sp-fail', (fd) => {
    fd.metadata.annotations = { 'sim.flinkops.io/savepoint': 'fail' };
    fd.spec.image = 'flink:1.20.9';
  });
  const failed = await waitFor('sp-fail error', () => {
    const fd = get(h, 'sp-fail');
    return errorOf(fd)?.type.endsWith('UpgradeFailureException') ? fd : undefined;
  });
  assert.equal(failed.status?.jobStatus?.state, 'RUNNING');
  assert.equal(failed.status?.jobStatus?.jobId, before.status?.jobStatus?.jobId, 'the old job keeps running');
  assert.equal(lastReconciled(failed).spec.image, 'flink:1.20', 'the new spec is not applied');
  assert.notEqual(failed.status?.observedGeneration, failed.metadata.generation);
  assert.equal(h.sim.getJob(NS, 'sp-fail')!.running, true);
  assert.ok(
    h.store.list('events', NS).some((e) => e.reason === 'SavepointError' && e.type === 'Warning'),
    'a SavepointError event',
  );
  // still failing on later passes: the error stays
  await h.sim.reconcileNow();
  assert.ok(errorOf(must(h, 'sp-fail')));
  update(h, 'sp-fail', (fd) => {
    delete fd.metadata.annotations;
  });
  const fd = await waitSettled(h, 'sp-fail', 'STABLE');
  assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.9');
  assert.equal(h.sim.getJob(NS, 'sp-fail')!.restoredFrom.kind, 'savepoint');
});
