// Faults set by annotations (sim.flinkops.io/savepoint|start|ha) and how the simulated operator surfaces
// them (section 7): an annotation edit is no spec change, yet the simulator reacts, and removing it clears it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  create,
  deployment,
  errorOf,
  get,
  HA,
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('savepoint hang: the stop-with-savepoint never completes, nothing is applied, no error; removing it lets the upgrade finish', async () => {
  create(h, deployment('hang', { annotations: { 'sim.flinkops.io/savepoint': 'hang' } }));
  const before = await waitSettled(h, 'hang', 'STABLE');
  const patched = update(h, 'hang', (fd) => {
    fd.spec.image = 'flink:1.20.7';
  });
  await sleep(300); // 60 simulated seconds: far beyond a savepoint's 2 s
  await h.sim.reconcileNow();
  const stuck = must(h, 'hang');
  assert.equal(stuck.status?.jobStatus?.state, 'RUNNING');
  assert.equal(stuck.status?.jobStatus?.jobId, before.status?.jobStatus?.jobId);
  assert.notEqual(stuck.status?.observedGeneration, patched.metadata.generation);
  assert.equal(stuck.status?.error ?? null, null);
  assert.equal(stuck.status?.lifecycleState, 'STABLE');
  const unchanged = update(h, 'hang', (fd) => {
    delete fd.metadata.annotations;
  });
  assert.equal(
    unchanged.metadata.generation,
    patched.metadata.generation,
    'an annotation edit is no spec change',
  );
  const fd = await waitSettled(h, 'hang', 'STABLE');
  assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.7');
});

test('start fail: the job fails once started: jobStatus FAILED, lifecycle FAILED, error with the job exception', async () => {
  create(h, deployment('start-fail', { annotations: { 'sim.flinkops.io/start': 'fail' } }));
  const fd = await waitFor('start-fail FAILED', () => {
    const current = get(h, 'start-fail');
    return current?.status?.lifecycleState === 'FAILED' ? current : undefined;
  });
  assert.equal(fd.status?.jobStatus?.state, 'FAILED');
  assert.equal(errorOf(fd)?.type, 'org.apache.flink.runtime.JobException');
  assert.equal(h.sim.getJob(NS, 'start-fail')?.running, false);
  assert.ok(h.store.list('events', NS).some((e) => e.reason === 'JobStatusChanged'));
  // the fault cleared + a spec change (a FAILED job is not restarted by default) brings it back
  update(h, 'start-fail', (fd) => {
    delete fd.metadata.annotations;
    fd.spec.restartNonce = 1;
    fd.spec.job!.upgradeMode = 'stateless';
  });
  await waitSettled(h, 'start-fail', 'STABLE');
});

test('start fail with kubernetes.operator.job.restart.failed: the failed job is resubmitted once the fault is gone', async () => {
  create(
    h,
    deployment('restart-failed', {
      upgradeMode: 'stateless',
      config: { 'kubernetes.operator.job.restart.failed': 'true' },
      annotations: { 'sim.flinkops.io/start': 'fail' },
    }),
  );
  await waitFor(
    'restart-failed FAILED',
    () => get(h, 'restart-failed')?.status?.jobStatus?.state === 'FAILED',
  );
  update(h, 'restart-failed', (fd) => {
    delete fd.metadata.annotations;
  });
  await waitFor(
    'restart-failed RUNNING',
    () => get(h, 'restart-failed')?.status?.jobStatus?.state === 'RUNNING',
  );
  assert.ok(h.store.list('events', NS).some((e) => e.reason === 'RestartUnhealthyJob'));
});

test('ha lost: a last-state restore fails with "HA metadata is not available" and stays UPGRADING until the data is back', async () => {
  create(h, deployment('ha', { upgradeMode: 'last-state', config: HA }));
  await waitSettled(h, 'ha', 'STABLE');
  await waitProgress(h, 'ha', 300, 1);
  update(h, 'ha', (fd) => {
    fd.spec.job!.state = 'suspended';
  });
  await waitSettled(h, 'ha', 'SUSPENDED');
  const checkpoint = h.sim.getJob(NS, 'ha')!.checkpoints.at(-1)!;
  update(h, 'ha', (fd) => {
    fd.metadata.annotations = { 'sim.flinkops.io/ha': 'lost' };
    fd.spec.job!.state = 'running';
  });
  const fd = await waitFor('ha restore error', () => {
    const current = get(h, 'ha');
    return errorOf(current)?.message.includes('HA metadata is not available') ? current : undefined;
  });
  assert.equal(fd.status?.lifecycleState, 'UPGRADING');
  assert.equal(h.sim.getJob(NS, 'ha')?.running, false);
  update(h, 'ha', (fd) => {
    delete fd.metadata.annotations;
  });
  await waitSettled(h, 'ha', 'STABLE');
  assert.equal(h.sim.getJob(NS, 'ha')?.restoredFrom.path, checkpoint.path);
});

test('ha lost on a running last-state job: the upgrade cancels and restores from the latest checkpoint (row 7)', async () => {
  create(h, deployment('ha-run', { upgradeMode: 'last-state', config: HA }));
  await waitSettled(h, 'ha-run', 'STABLE');
  await waitProgress(h, 'ha-run', 300, 1);
  update(h, 'ha-run', (fd) => {
    fd.metadata.annotations = { 'sim.flinkops.io/ha': 'lost' };
    fd.spec.job!.args = ['--x'];
  });
  const fd = await waitFor('ha-run upgraded', () => {
    const current = get(h, 'ha-run');
    return current &&
      lastReconciled(current).spec.job?.args?.[0] === '--x' &&
      current.status?.lifecycleState === 'STABLE'
      ? current
      : undefined;
  });
  const truth = h.sim.getJob(NS, 'ha-run')!;
  assert.equal(truth.restoredFrom.kind, 'checkpoint');
  assert.match(truth.restoredFrom.path ?? '', /\/chk-\d+$/);
  assert.equal(
    lastReconciled(fd).spec.job?.upgradeMode,
    'last-state',
    'the user mode is recorded again after the restore',
  );
});

test('a restore from a path that is not in storage fails the job like Flink would', async () => {
  create(
    h,
    deployment('nofile', {
      job: { initialSavepointPath: 's3://bucket/savepoints/savepoint-000000-000000000000' },
    }),
  );
  const fd = await waitFor('nofile FAILED', () => {
    const current = get(h, 'nofile');
    return current?.status?.jobStatus?.state === 'FAILED' ? current : undefined;
  });
  assert.match(errorOf(fd)?.message ?? '', /Cannot find checkpoint or savepoint/);
  assert.equal(fd.status?.lifecycleState, 'FAILED');
});
