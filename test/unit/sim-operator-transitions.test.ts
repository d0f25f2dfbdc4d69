// Every row of the transition table (reference/flink-operator.md section 4), driven through the ObjectStore.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  create,
  deployment,
  errorOf,
  eventReasons,
  get,
  HA,
  lastReconciled,
  must,
  NS,
  recordLifecycles,
  type SimHarness,
  snapshotsOf,
  startSim,
  update,
  waitFor,
  waitProgress,
  waitSettled,
} from './sim-operator-harness.ts';

const h: SimHarness = startSim(200);
after(() => h.close());

/** a savepoint in storage to start other deployments from */
async function makeSavepoint(name: string): Promise<{ path: string; offset: number }> {
  create(h, deployment(name));
  await waitSettled(h, name, 'STABLE');
  await waitProgress(h, name, 300, 1);
  update(h, name, (fd) => {
    fd.spec.job!.state = 'suspended';
  });
  const fd = await waitSettled(h, name, 'SUSPENDED');
  const path = fd.status!.jobStatus!.upgradeSavepointPath!;
  const stored = h.sim.listStorage().find((entry) => entry.path === path);
  assert.ok(stored, 'the suspend savepoint is in storage');
  return { path, offset: stored.offset };
}

describe('transition table', () => {
  test('row 1: a new running CR is recorded UPGRADING, deployed with empty state, then STABLE (upgradeMode stateless recorded)', async () => {
    const seen = recordLifecycles(h, 'row1');
    create(h, deployment('row1'));
    const fd = await waitSettled(h, 'row1', 'STABLE');
    assert.deepEqual(
      seen.filter((state) => ['UPGRADING', 'DEPLOYED', 'STABLE'].includes(state)),
      ['UPGRADING', 'DEPLOYED', 'STABLE'],
    );
    const last = lastReconciled(fd);
    assert.equal(last.spec.job?.upgradeMode, 'stateless');
    assert.equal(last.resource_metadata.firstDeployment, true);
    assert.equal(fd.status?.jobManagerDeploymentStatus, 'READY');
    assert.match(fd.status?.jobStatus?.jobId ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(
      fd.status?.conditions?.map((c) => (c as { type: string; status: string }).status),
      ['True'],
    );
    assert.ok(fd.metadata.finalizers?.includes('flinkdeployments.flink.apache.org/finalizer'));
    const truth = await waitProgress(h, 'row1', 200, 1);
    assert.equal(truth.restoredFrom.kind, 'none');
    assert.equal(truth.restoredFrom.mode, null);
    assert.ok(eventReasons(h, 'row1').includes('Submit'));
  });

  test('row 2: a CR created with initialSavepointPath restores from it in NO_CLAIM mode and records upgradeMode savepoint', async () => {
    const source = await makeSavepoint('row2-src');
    create(h, deployment('row2', { job: { initialSavepointPath: source.path } }));
    const fd = await waitSettled(h, 'row2', 'STABLE');
    assert.equal(lastReconciled(fd).spec.job?.upgradeMode, 'savepoint');
    assert.equal(fd.status?.jobStatus?.upgradeSavepointPath, source.path);
    const truth = h.sim.getJob(NS, 'row2')!;
    assert.deepEqual(truth.restoredFrom, {
      kind: 'savepoint',
      path: source.path,
      offset: source.offset,
      mode: 'NO_CLAIM',
    });
    assert.ok(truth.offset >= source.offset);
  });

  test('row 3: a CR created suspended does nothing at all (CREATED), and starts like row 1 once running', async () => {
    create(h, deployment('row3', { state: 'suspended' }));
    await waitFor('finalizer on row3', () => get(h, 'row3')?.metadata.finalizers?.length);
    await h.sim.reconcileNow();
    const fd = must(h, 'row3');
    assert.equal(fd.status?.lifecycleState, 'CREATED');
    assert.equal(fd.status?.reconciliationStatus?.lastReconciledSpec, undefined);
    assert.equal(h.sim.getJob(NS, 'row3'), undefined, 'no job was ever simulated');
    assert.equal(h.sim.getJob(NS, 'never-created'), undefined);
    update(h, 'row3', (d) => {
      d.spec.job!.state = 'running';
    });
    const started = await waitSettled(h, 'row3', 'STABLE');
    assert.equal(lastReconciled(started).resource_metadata.firstDeployment, true);
  });

  test('row 4: stateless suspend cancels without a savepoint; the resume starts from empty state', async () => {
    create(h, deployment('row4', { upgradeMode: 'stateless' }));
    await waitSettled(h, 'row4', 'STABLE');
    await waitProgress(h, 'row4', 300, 1);
    const before = h.sim.listStorage().filter((e) => e.name === 'row4' && e.kind === 'savepoint').length;
    update(h, 'row4', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const suspended = await waitSettled(h, 'row4', 'SUSPENDED');
    assert.equal(suspended.status?.jobStatus?.state, 'FINISHED');
    assert.equal(suspended.status?.jobManagerDeploymentStatus, 'MISSING');
    assert.equal(lastReconciled(suspended).spec.job?.upgradeMode, 'stateless');
    assert.equal(
      h.sim.listStorage().filter((e) => e.name === 'row4' && e.kind === 'savepoint').length,
      before,
    );
    update(h, 'row4', (fd) => {
      fd.spec.job!.state = 'running';
    });
    await waitSettled(h, 'row4', 'STABLE');
    assert.deepEqual(h.sim.getJob(NS, 'row4')?.restoredFrom, {
      kind: 'none',
      path: null,
      offset: 0,
      mode: null,
    });
  });

  test('row 5: savepoint suspend stops with a savepoint recorded in upgradeSavepointPath and an UPGRADE FlinkStateSnapshot', async () => {
    create(h, deployment('row5'));
    await waitSettled(h, 'row5', 'STABLE');
    await waitProgress(h, 'row5', 300, 1);
    update(h, 'row5', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const fd = await waitSettled(h, 'row5', 'SUSPENDED');
    assert.equal(fd.status?.jobStatus?.state, 'FINISHED');
    assert.equal(lastReconciled(fd).spec.job?.upgradeMode, 'savepoint');
    assert.equal(
      fd.status?.reconciliationStatus?.lastStableSpec,
      fd.status?.reconciliationStatus?.lastReconciledSpec,
    );
    const path = fd.status?.jobStatus?.upgradeSavepointPath;
    assert.match(path ?? '', /^s3:\/\/bucket\/savepoints\/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/);
    const [snapshot] = snapshotsOf(h, 'row5');
    assert.ok(snapshot, 'an UPGRADE FlinkStateSnapshot exists');
    assert.match(snapshot.metadata.name, /^row5-savepoint-upgrade-\d+$/);
    assert.deepEqual(snapshot.metadata.labels, {
      'snapshot.trigger-type': 'UPGRADE',
      'snapshot.type': 'SAVEPOINT',
      'snapshot.state': 'COMPLETED',
      'job-reference.kind': 'FlinkDeployment',
      'job-reference.name': 'row5',
    });
    assert.equal((snapshot.spec as { savepoint: { alreadyExists: boolean } }).savepoint.alreadyExists, true);
    assert.equal((snapshot.status as { path: string; state: string }).path, path);
    const truth = h.sim.getJob(NS, 'row5')!;
    assert.equal(truth.running, false);
    assert.equal(truth.offset, truth.savepoints.at(-1)?.offset, 'a stop-with-savepoint loses nothing');
    assert.ok(eventReasons(h, 'row5').includes('Suspended'));
  });

  test('row 5 (legacy): with snapshot resources disabled the savepoint lands in savepointInfo.lastSavepoint', async () => {
    create(h, deployment('row5l', { config: { 'kubernetes.operator.snapshot.resource.enabled': 'false' } }));
    await waitSettled(h, 'row5l', 'STABLE');
    update(h, 'row5l', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const fd = await waitSettled(h, 'row5l', 'SUSPENDED');
    const last = fd.status?.jobStatus?.savepointInfo?.lastSavepoint;
    assert.equal(last?.location, fd.status?.jobStatus?.upgradeSavepointPath);
    assert.equal(last?.triggerType, 'UPGRADE');
    assert.equal(snapshotsOf(h, 'row5l').length, 0);
  });

  test('row 6: last-state suspend with HA keeps the HA pointers; the resume keeps the job id and restores the last checkpoint', async () => {
    create(h, deployment('row6', { upgradeMode: 'last-state', config: HA }));
    const running = await waitSettled(h, 'row6', 'STABLE');
    const jobId = running.status?.jobStatus?.jobId;
    await waitProgress(h, 'row6', 500, 1);
    update(h, 'row6', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const suspended = await waitSettled(h, 'row6', 'SUSPENDED');
    assert.equal(lastReconciled(suspended).spec.job?.upgradeMode, 'last-state');
    assert.equal(suspended.status?.jobManagerDeploymentStatus, 'MISSING');
    const checkpoint = h.sim.getJob(NS, 'row6')!.checkpoints.at(-1)!;
    update(h, 'row6', (fd) => {
      fd.spec.job!.state = 'running';
    });
    const resumed = await waitSettled(h, 'row6', 'STABLE');
    assert.equal(resumed.status?.jobStatus?.jobId, jobId, 'last-state keeps the job id');
    assert.equal(resumed.status?.jobStatus?.upgradeSavepointPath, 'KUBERNETES_OPERATOR_LAST_STATE');
    assert.deepEqual(h.sim.getJob(NS, 'row6')?.restoredFrom, {
      kind: 'checkpoint',
      path: checkpoint.path,
      offset: checkpoint.offset,
      mode: 'CLAIM',
    });
  });

  test('row 7: last-state without HA data cancels, records the latest checkpoint and restores it as a savepoint path', async () => {
    create(h, deployment('row7', { upgradeMode: 'last-state' }));
    await waitSettled(h, 'row7', 'STABLE');
    await waitProgress(h, 'row7', 500, 1);
    update(h, 'row7', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const suspended = await waitSettled(h, 'row7', 'SUSPENDED');
    assert.equal(lastReconciled(suspended).spec.job?.upgradeMode, 'savepoint');
    const checkpointPath = suspended.status?.jobStatus?.upgradeSavepointPath;
    assert.match(checkpointPath ?? '', /\/chk-\d+$/);
    update(h, 'row7', (fd) => {
      fd.spec.job!.state = 'running';
    });
    await waitSettled(h, 'row7', 'STABLE');
    const truth = h.sim.getJob(NS, 'row7')!;
    assert.equal(truth.restoredFrom.kind, 'checkpoint');
    assert.equal(truth.restoredFrom.path, checkpointPath);
  });

  test('row 9: a stateful upgrade of a FAILED job with no known checkpoint is blocked with "Manual restore required"', async () => {
    create(h, deployment('row9', { annotations: { 'sim.flinkops.io/start': 'fail' } }));
    await waitFor('row9 FAILED', () => get(h, 'row9')?.status?.lifecycleState === 'FAILED');
    const generation = update(h, 'row9', (fd) => {
      fd.spec.image = 'flink:1.20.1';
    }).metadata.generation;
    const fd = await waitFor('row9 manual restore error', () => {
      const current = get(h, 'row9');
      return errorOf(current)?.message.includes('Manual restore required.') ? current : undefined;
    });
    assert.notEqual(fd.status?.observedGeneration, generation, 'observedGeneration lags while blocked');
    assert.equal(fd.status?.lifecycleState, 'FAILED');
  });

  test('row 9: a stateful upgrade of a FAILED job restores from the snapshot observed in its terminal state', async () => {
    const source = await makeSavepoint('row9b-src');
    create(
      h,
      deployment('row9b', {
        job: { initialSavepointPath: source.path },
        annotations: { 'sim.flinkops.io/start': 'fail' },
      }),
    );
    await waitFor('row9b FAILED', () => get(h, 'row9b')?.status?.jobStatus?.state === 'FAILED');
    assert.equal(must(h, 'row9b').status?.jobStatus?.upgradeSavepointPath, source.path);
    update(h, 'row9b', (fd) => {
      delete fd.metadata.annotations;
      fd.spec.image = 'flink:1.20.1';
    });
    await waitSettled(h, 'row9b', 'STABLE');
    const truth = h.sim.getJob(NS, 'row9b')!;
    assert.equal(truth.restoredFrom.path, source.path);
    assert.equal(truth.restoredFrom.offset, source.offset);
  });

  test('row 10: last-state with a too-old newest checkpoint (max age) takes a savepoint instead', async () => {
    create(
      h,
      deployment('row10', {
        upgradeMode: 'last-state',
        config: {
          ...HA,
          'execution.checkpointing.interval': '1 h',
          'kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age': '10 s',
        },
      }),
    );
    await waitSettled(h, 'row10', 'STABLE');
    update(h, 'row10', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const fd = await waitSettled(h, 'row10', 'SUSPENDED');
    assert.equal(lastReconciled(fd).spec.job?.upgradeMode, 'savepoint');
    assert.equal(h.sim.getJob(NS, 'row10')?.savepoints.length, 1);
  });

  test('row 11: the resume ignores initialSavepointPath and restores upgradeSavepointPath in CLAIM mode', async () => {
    const other = await makeSavepoint('row11-other');
    create(h, deployment('row11'));
    await waitSettled(h, 'row11', 'STABLE');
    await waitProgress(h, 'row11', 300, 1);
    update(h, 'row11', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const suspended = await waitSettled(h, 'row11', 'SUSPENDED');
    const own = suspended.status!.jobStatus!.upgradeSavepointPath!;
    update(h, 'row11', (fd) => {
      fd.spec.job!.state = 'running';
      fd.spec.job!.initialSavepointPath = other.path;
    });
    await waitSettled(h, 'row11', 'STABLE');
    const truth = h.sim.getJob(NS, 'row11')!;
    assert.equal(truth.restoredFrom.path, own);
    assert.equal(truth.restoredFrom.mode, 'CLAIM');
  });

  test('row 12: edits while suspended are recorded (observedGeneration advances) and start nothing', async () => {
    create(h, deployment('row12'));
    await waitSettled(h, 'row12', 'STABLE');
    update(h, 'row12', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    await waitSettled(h, 'row12', 'SUSPENDED');
    update(h, 'row12', (fd) => {
      fd.spec.image = 'flink:1.20.2';
    });
    const fd = await waitSettled(h, 'row12', 'SUSPENDED');
    assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.2');
    assert.equal(
      lastReconciled(fd).spec.job?.upgradeMode,
      'savepoint',
      'the stop mode stays for the restore',
    );
    assert.equal(h.sim.getJob(NS, 'row12')?.running, false);
  });

  test('row 13: an UPGRADE change on a running savepoint job suspends with a savepoint and restores the new spec from it', async () => {
    create(h, deployment('row13'));
    const before = await waitSettled(h, 'row13', 'STABLE');
    await waitProgress(h, 'row13', 300, 1);
    const seen = recordLifecycles(h, 'row13');
    update(h, 'row13', (fd) => {
      fd.spec.job!.args = ['--new'];
    });
    const fd = await waitSettled(h, 'row13', 'STABLE');
    assert.ok(seen.includes('UPGRADING'));
    assert.notEqual(
      fd.status?.jobStatus?.jobId,
      before.status?.jobStatus?.jobId,
      'a savepoint restore is a new job',
    );
    assert.deepEqual(lastReconciled(fd).spec.job?.args, ['--new']);
    const truth = h.sim.getJob(NS, 'row13')!;
    assert.equal(truth.restoredFrom.kind, 'savepoint');
    assert.equal(truth.restoredFrom.mode, 'CLAIM');
    assert.equal(truth.restoredFrom.path, fd.status?.jobStatus?.upgradeSavepointPath);
    const reasons = eventReasons(h, 'row13');
    for (const reason of ['SpecChanged', 'Suspended', 'Submit']) assert.ok(reasons.includes(reason), reason);
  });

  test('row 14: a flinkVersion change on a running last-state job goes through a savepoint, not HA', async () => {
    create(h, deployment('row14', { upgradeMode: 'last-state', config: HA }));
    await waitSettled(h, 'row14', 'STABLE');
    await waitProgress(h, 'row14', 300, 1);
    update(h, 'row14', (fd) => {
      fd.spec.flinkVersion = 'v2_0';
    });
    await waitFor('row14 upgraded', () => {
      const fd = get(h, 'row14');
      return fd && lastReconciled(fd).spec.flinkVersion === 'v2_0' && fd.status?.lifecycleState === 'STABLE';
    });
    const truth = h.sim.getJob(NS, 'row14')!;
    assert.equal(truth.restoredFrom.kind, 'savepoint');
    assert.equal(truth.savepoints.length, 1);
  });

  test('row 15: a SCALE change without in-place scaling falls back to a full upgrade', async () => {
    create(h, deployment('row15'));
    const before = await waitSettled(h, 'row15', 'STABLE');
    update(h, 'row15', (fd) => {
      fd.spec.flinkConfiguration!['pipeline.jobvertex-parallelism-overrides'] = 'a:2';
    });
    const fd = await waitFor('row15 redeployed', () => {
      const current = get(h, 'row15');
      return current?.status?.jobStatus?.jobId !== before.status?.jobStatus?.jobId &&
        current?.status?.lifecycleState === 'STABLE'
        ? current
        : undefined;
    });
    assert.equal(h.sim.getJob(NS, 'row15')?.restoredFrom.kind, 'savepoint');
    assert.equal(fd.status?.observedGeneration, fd.metadata.generation);
  });

  test('row 16: an IGNORE-only change redeploys nothing, keeps the reconciled body and advances observedGeneration', async () => {
    create(h, deployment('row16'));
    const before = await waitSettled(h, 'row16', 'STABLE');
    const updated = update(h, 'row16', (fd) => {
      fd.spec.job!.upgradeMode = 'last-state';
      fd.spec.flinkConfiguration!['kubernetes.operator.periodic.savepoint.interval'] = '1h';
    });
    const fd = await waitFor('row16 observed', () => {
      const current = get(h, 'row16');
      return current?.status?.observedGeneration === updated.metadata.generation ? current : undefined;
    });
    assert.equal(fd.status?.jobStatus?.jobId, before.status?.jobStatus?.jobId);
    assert.equal(
      fd.status?.reconciliationStatus?.lastReconciledSpec,
      before.status?.reconciliationStatus?.lastReconciledSpec,
    );
    assert.equal(fd.status?.lifecycleState, 'STABLE');
  });

  test('row 17: a new restartNonce restarts the job following its upgradeMode', async () => {
    create(h, deployment('row17', { upgradeMode: 'stateless' }));
    const before = await waitSettled(h, 'row17', 'STABLE');
    await waitProgress(h, 'row17', 300, 1);
    update(h, 'row17', (fd) => {
      fd.spec.restartNonce = 1;
    });
    const fd = await waitFor('row17 restarted', () => {
      const current = get(h, 'row17');
      return current?.status?.jobStatus?.jobId !== before.status?.jobStatus?.jobId &&
        current?.status?.lifecycleState === 'STABLE'
        ? current
        : undefined;
    });
    assert.equal(fd.spec.restartNonce, 1);
    assert.equal(h.sim.getJob(NS, 'row17')?.restoredFrom.kind, 'none', 'stateless restart starts empty');
  });

  test('row 18: a savepointRedeployNonce redeploys from initialSavepointPath (NO_CLAIM) and is stable at once', async () => {
    const source = await makeSavepoint('row18-src');
    create(h, deployment('row18'));
    await waitSettled(h, 'row18', 'STABLE');
    await waitProgress(h, 'row18', 300, 1);
    update(h, 'row18', (fd) => {
      fd.spec.job!.initialSavepointPath = source.path;
      fd.spec.job!.savepointRedeployNonce = 1;
    });
    const fd = await waitFor('row18 redeployed', () => {
      const current = get(h, 'row18');
      return current?.status?.jobStatus?.upgradeSavepointPath === source.path ? current : undefined;
    });
    assert.equal(
      fd.status?.reconciliationStatus?.lastStableSpec,
      fd.status?.reconciliationStatus?.lastReconciledSpec,
    );
    assert.equal(fd.status?.lifecycleState, 'STABLE');
    assert.deepEqual(h.sim.getJob(NS, 'row18')?.restoredFrom, {
      kind: 'savepoint',
      path: source.path,
      offset: source.offset,
      mode: 'NO_CLAIM',
    });
  });

  test('row 19: deleting the CR cancels without a savepoint, drops the checkpoint pointers, keeps files and snapshot CRs', async () => {
    create(h, deployment('row19'));
    await waitSettled(h, 'row19', 'STABLE');
    update(h, 'row19', (fd) => {
      fd.spec.job!.args = ['--v2'];
    });
    await waitFor('row19 upgraded', () => (get(h, 'row19') ? snapshotsOf(h, 'row19').length === 1 : false));
    await waitSettled(h, 'row19', 'STABLE');
    await waitProgress(h, 'row19', 300, 1);
    const filesBefore = h.sim.listStorage().filter((entry) => entry.name === 'row19');
    const savepointsBefore = filesBefore.filter((entry) => entry.kind === 'savepoint').length;
    h.store.delete('flinkdeployments', NS, 'row19');
    await waitFor('row19 gone', () => get(h, 'row19') === undefined);
    const files = h.sim.listStorage().filter((entry) => entry.name === 'row19');
    assert.equal(
      files.filter((entry) => entry.kind === 'savepoint').length,
      savepointsBefore,
      'no final savepoint',
    );
    assert.ok(
      files.some((entry) => entry.kind === 'checkpoint'),
      'checkpoint files stay in storage',
    );
    const truth = h.sim.getJob(NS, 'row19')!;
    assert.equal(truth.running, false);
    assert.deepEqual(truth.checkpoints, [], 'nothing points at the checkpoints any more');
    assert.equal(snapshotsOf(h, 'row19').length, 1, 'snapshot CRs survive');
    assert.ok(eventReasons(h, 'row19').includes('Cleanup'));
  });

  test('row 19: with savepoint-on-deletion the job is stopped with a savepoint first', async () => {
    create(h, deployment('row19s', { config: { 'kubernetes.operator.job.savepoint-on-deletion': 'true' } }));
    await waitSettled(h, 'row19s', 'STABLE');
    const seen = recordLifecycles(h, 'row19s');
    h.store.delete('flinkdeployments', NS, 'row19s');
    await waitFor('row19s gone', () => get(h, 'row19s') === undefined);
    assert.ok(seen.includes('DELETING'));
    assert.equal(h.sim.listStorage().filter((e) => e.name === 'row19s' && e.kind === 'savepoint').length, 1);
  });

  test('row 20: a job cancelled externally counts as suspended and is restored because the spec says running', async () => {
    create(h, deployment('row20'));
    const before = await waitSettled(h, 'row20', 'STABLE');
    await waitProgress(h, 'row20', 300, 1);
    const seen = recordLifecycles(h, 'row20');
    assert.equal(h.sim.cancelJobExternally(NS, 'row20'), true);
    const fd = await waitFor('row20 restored', () => {
      const current = get(h, 'row20');
      return current?.status?.jobStatus?.jobId !== before.status?.jobStatus?.jobId &&
        current?.status?.lifecycleState === 'STABLE'
        ? current
        : undefined;
    });
    assert.ok(seen.includes('SUSPENDED') || seen.includes('UPGRADING'));
    const truth = h.sim.getJob(NS, 'row20')!;
    assert.equal(truth.restoredFrom.kind, 'checkpoint');
    assert.equal(truth.restoredFrom.path, fd.status?.jobStatus?.upgradeSavepointPath);
  });
});

describe('transition table at a slower pace (job not yet RUNNING)', () => {
  test('row 8: savepoint mode while the job is not running waits without error (observedGeneration lags), then upgrades', async () => {
    const slow = startSim(1); // JM ready after 3 s real: ample margin to act while the job is not RUNNING
    try {
      create(slow, deployment('row8'));
      await slow.sim.reconcileNow();
      const generation = update(slow, 'row8', (fd) => {
        fd.spec.image = 'flink:1.20.3';
      }).metadata.generation;
      await slow.sim.reconcileNow();
      const waiting = must(slow, 'row8');
      assert.equal(waiting.status?.jobStatus?.state, 'RECONCILING');
      assert.notEqual(waiting.status?.observedGeneration, generation);
      assert.equal(waiting.status?.error ?? null, null);
      const fd = await waitSettled(slow, 'row8', 'STABLE', 90_000);
      assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.3');
    } finally {
      await slow.close();
    }
  });

  test('row 8: with HA the not-running savepoint job falls back to last-state', async () => {
    const slow = startSim(1); // JM ready after 3 s real: ample margin to act while the job is not RUNNING
    try {
      create(slow, deployment('row8b', { config: HA }));
      await slow.sim.reconcileNow();
      update(slow, 'row8b', (fd) => {
        fd.spec.image = 'flink:1.20.3';
      });
      await slow.sim.reconcileNow();
      const fd = must(slow, 'row8b');
      assert.equal(fd.status?.reconciliationStatus?.state, 'DEPLOYED');
      assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.3');
      await waitSettled(slow, 'row8b', 'STABLE', 90_000);
      assert.equal(slow.sim.getJob(NS, 'row8b')?.savepoints.length, 0, 'no savepoint was taken');
    } finally {
      await slow.close();
    }
  });
});
