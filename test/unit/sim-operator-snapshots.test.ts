// Manual savepoints (savepointTriggerNonce, section 5), rollback (section 6), session clusters, and the
// simulator's own persistence (snapshot/restore for `flinkops sim --state`).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { OperatorSimulator } from '../../src/sim/operator/index.ts';
import { type KubeObject, ObjectStore } from '../../src/sim/store.ts';
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
  snapshotsOf,
  startSim,
  update,
  waitFor,
  waitProgress,
  waitSettled,
} from './sim-operator-harness.ts';

const h: SimHarness = startSim(200);
after(() => h.close());

function manualSnapshots(name: string) {
  return snapshotsOf(h, name).filter((s) => s.metadata.labels?.['snapshot.trigger-type'] === 'MANUAL');
}

describe('manual savepoints', () => {
  test('a new savepointTriggerNonce creates <name>-savepoint-manual-<ms> that completes with status.path, no restart', async () => {
    create(h, deployment('manual'));
    const before = await waitSettled(h, 'manual', 'STABLE');
    await waitProgress(h, 'manual', 300, 0);
    update(h, 'manual', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 1;
    });
    const snapshot = await waitFor('manual snapshot COMPLETED', () =>
      manualSnapshots('manual').find((s) => (s.status as { state: string }).state === 'COMPLETED'),
    );
    assert.match(snapshot.metadata.name, /^manual-savepoint-manual-\d+$/);
    assert.equal(snapshot.metadata.labels?.['snapshot.state'], 'COMPLETED');
    const path = (snapshot.status as { path: string }).path;
    const stored = h.sim.listStorage().find((entry) => entry.path === path);
    assert.equal(stored?.kind, 'savepoint');
    assert.ok((stored?.offset ?? 0) >= 300);
    const fd = await waitSettled(h, 'manual', 'STABLE');
    assert.equal(lastReconciled(fd).spec.job?.savepointTriggerNonce, 1, 'the nonce is marked reconciled');
    assert.equal(fd.status?.jobStatus?.jobId, before.status?.jobStatus?.jobId, 'not a restart');
  });

  test('a failing manual savepoint ends FAILED with a SavepointError event; the job keeps running', async () => {
    create(h, deployment('manual-fail', { annotations: { 'sim.flinkops.io/savepoint': 'fail' } }));
    await waitSettled(h, 'manual-fail', 'STABLE');
    update(h, 'manual-fail', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 5;
    });
    const snapshot = await waitFor('manual snapshot FAILED', () =>
      manualSnapshots('manual-fail').find((s) => (s.status as { state: string }).state === 'FAILED'),
    );
    assert.match((snapshot.status as { error: string }).error, /Savepoint failed/);
    assert.ok(h.store.list('events', NS).some((e) => e.reason === 'SavepointError'));
    assert.equal(must(h, 'manual-fail').status?.jobStatus?.state, 'RUNNING');
  });

  test('legacy mode: success shows in savepointInfo.lastSavepoint with the nonce, trigger fields cleared', async () => {
    create(h, deployment('legacy', { config: { 'kubernetes.operator.snapshot.resource.enabled': 'false' } }));
    await waitSettled(h, 'legacy', 'STABLE');
    update(h, 'legacy', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 42;
    });
    const fd = await waitFor('legacy lastSavepoint', () => {
      const current = get(h, 'legacy');
      return current?.status?.jobStatus?.savepointInfo?.lastSavepoint?.triggerNonce === 42
        ? current
        : undefined;
    });
    const info = fd.status!.jobStatus!.savepointInfo!;
    assert.equal(info.lastSavepoint?.triggerType, 'MANUAL');
    assert.equal(info.triggerId ?? null, null, 'the trigger is cleared');
    assert.ok(h.sim.listStorage().some((entry) => entry.path === info.lastSavepoint?.location));
    assert.equal(manualSnapshots('legacy').length, 0);
  });

  test('legacy mode: a failing savepoint is retried until the grace period ends, then given up', async () => {
    create(
      h,
      deployment('legacy-fail', {
        config: {
          'kubernetes.operator.snapshot.resource.enabled': 'false',
          'kubernetes.operator.savepoint.trigger.grace-period': '10 min',
        },
        annotations: { 'sim.flinkops.io/savepoint': 'fail' },
      }),
    );
    await waitSettled(h, 'legacy-fail', 'STABLE');
    update(h, 'legacy-fail', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 9;
    });
    const fd = await waitFor('legacy-fail given up', () => {
      const current = get(h, 'legacy-fail');
      return current && lastReconciled(current).spec.job?.savepointTriggerNonce === 9 ? current : undefined;
    });
    assert.equal(fd.status?.jobStatus?.savepointInfo?.lastSavepoint ?? null, null, 'lastSavepoint unchanged');
    const errors = h.store
      .list('events', NS)
      .filter(
        (e) => (e.involvedObject as { name: string }).name === 'legacy-fail' && e.reason === 'SavepointError',
      );
    assert.ok(Number(errors[0]?.count) >= 2, 'retried at least once');
  });

  test('a pending manual savepoint holds back an upgrade until it completes', async () => {
    create(h, deployment('pending', { annotations: { 'sim.flinkops.io/savepoint': 'hang' } }));
    await waitSettled(h, 'pending', 'STABLE');
    update(h, 'pending', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 1;
    });
    await waitFor('manual in progress', () =>
      manualSnapshots('pending').find((s) => (s.status as { state: string }).state === 'IN_PROGRESS'),
    );
    const patched = update(h, 'pending', (fd) => {
      fd.spec.image = 'flink:1.20.8';
    });
    await h.sim.reconcileNow();
    assert.notEqual(must(h, 'pending').status?.observedGeneration, patched.metadata.generation);
    update(h, 'pending', (fd) => {
      delete fd.metadata.annotations;
    });
    const fd = await waitSettled(h, 'pending', 'STABLE');
    assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.8');
    assert.equal((manualSnapshots('pending')[0].status as { state: string }).state, 'COMPLETED');
  });
});

describe('rollback', () => {
  test('an upgrade that never becomes stable rolls back to lastStableSpec after the readiness timeout', async () => {
    const config = {
      ...HA,
      'kubernetes.operator.deployment.rollback.enabled': 'true',
      'kubernetes.operator.deployment.readiness.timeout': '5 min',
    };
    create(h, deployment('rb', { upgradeMode: 'last-state', config }));
    await waitSettled(h, 'rb', 'STABLE');
    await waitProgress(h, 'rb', 300, 1);
    update(h, 'rb', (fd) => {
      fd.metadata.annotations = { 'sim.flinkops.io/start': 'fail' };
      fd.spec.image = 'flink:broken';
    });
    await waitFor('rb new job FAILED', () => get(h, 'rb')?.status?.jobStatus?.state === 'FAILED');
    update(h, 'rb', (fd) => {
      delete fd.metadata.annotations;
    });
    const fd = await waitFor('rb ROLLED_BACK and running', () => {
      const current = get(h, 'rb');
      return current?.status?.lifecycleState === 'ROLLED_BACK' &&
        current.status.jobStatus?.state === 'RUNNING'
        ? current
        : undefined;
    });
    assert.equal(fd.spec.image, 'flink:broken', "the user's spec is untouched");
    assert.equal(fd.status?.reconciliationStatus?.state, 'ROLLED_BACK');
    assert.ok(h.store.list('events', NS).some((e) => e.reason === 'Rollback'));
    assert.equal(
      h.sim.getJob(NS, 'rb')?.restoredFrom.kind,
      'checkpoint',
      'stopped with last-state, restored via HA',
    );
    // a new UPGRADE change leaves ROLLED_BACK
    update(h, 'rb', (fd) => {
      fd.spec.image = 'flink:1.20.10';
    });
    const fixed = await waitSettled(h, 'rb', 'STABLE');
    assert.equal(lastReconciled(fixed).spec.image, 'flink:1.20.10');
  });

  test('no rollback without the option: the failed upgrade stays FAILED', async () => {
    create(h, deployment('no-rb', { upgradeMode: 'last-state', config: HA }));
    await waitSettled(h, 'no-rb', 'STABLE');
    update(h, 'no-rb', (fd) => {
      fd.metadata.annotations = { 'sim.flinkops.io/start': 'fail' };
      fd.spec.image = 'flink:broken';
    });
    await waitFor('no-rb FAILED', () => get(h, 'no-rb')?.status?.lifecycleState === 'FAILED');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await h.sim.reconcileNow();
    assert.equal(must(h, 'no-rb').status?.lifecycleState, 'FAILED');
    assert.ok(errorOf(must(h, 'no-rb')));
  });
});

describe('session clusters', () => {
  test('a session cluster (no job) deploys its JobManager only and is STABLE when READY', async () => {
    create(h, deployment('session', { session: true }));
    const fd = await waitSettled(h, 'session', 'STABLE');
    assert.equal(fd.status?.jobManagerDeploymentStatus, 'READY');
    assert.deepEqual(
      fd.status?.conditions?.map((c) => (c as { status: string }).status),
      ['True'],
    );
    assert.equal(h.sim.getJob(NS, 'session'), undefined, 'no job truth for a session cluster');
    update(h, 'session', (d) => {
      d.spec.image = 'flink:1.20.11';
    });
    const upgraded = await waitSettled(h, 'session', 'STABLE');
    assert.equal(lastReconciled(upgraded).spec.image, 'flink:1.20.11');
    update(h, 'session', (d) => {
      d.spec.job = { jarURI: 'local:///x.jar', parallelism: 1, upgradeMode: 'stateless' };
    });
    await waitFor('session switch rejected', () =>
      errorOf(get(h, 'session'))?.message.includes('Cannot switch from session to job cluster'),
    );
  });
});

describe('persistence and events', () => {
  test('snapshot() and restore() carry jobs, storage and timers to a new simulator', async () => {
    create(h, deployment('persist'));
    await waitSettled(h, 'persist', 'STABLE');
    await waitProgress(h, 'persist', 300, 1);
    update(h, 'persist', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    await waitSettled(h, 'persist', 'SUSPENDED');
    const saved = JSON.parse(JSON.stringify(h.sim.snapshot()));
    const objects = JSON.parse(JSON.stringify(h.store.snapshot()));
    const truthBefore = h.sim.getJob(NS, 'persist')!;

    const store = new ObjectStore();
    store.restore(objects);
    const sim = new OperatorSimulator({ store, speed: 200 });
    sim.restore(saved);
    sim.start();
    const other: SimHarness = { store, sim, close: () => sim.stop() };
    try {
      assert.deepEqual(sim.getJob(NS, 'persist'), truthBefore);
      const restoredPaths = new Set(sim.listStorage().map((e) => e.path));
      // savepoints never go away by themselves (running jobs' older checkpoints are subsumed meanwhile)
      for (const entry of saved.storage as { path: string; kind: string }[]) {
        if (entry.kind === 'savepoint') assert.ok(restoredPaths.has(entry.path), entry.path);
      }
      update(other, 'persist', (fd) => {
        fd.spec.job!.state = 'running';
      });
      await waitSettled(other, 'persist', 'STABLE');
      const truth = sim.getJob(NS, 'persist')!;
      assert.equal(truth.restoredFrom.kind, 'savepoint');
      assert.equal(truth.restoredFrom.offset, truthBefore.offset);
    } finally {
      await other.close();
    }
  });

  test('repeated events are aggregated: one Event object with a growing count', async () => {
    create(h, deployment('evt'));
    await waitSettled(h, 'evt', 'STABLE');
    update(h, 'evt', (fd) => {
      fd.spec.job!.parallelism = 0;
    });
    await waitFor('evt error', () => errorOf(get(h, 'evt')));
    await h.sim.reconcileNow();
    await h.sim.reconcileNow();
    const events = h.store
      .list('events', NS)
      .filter((e) => (e.involvedObject as { name: string }).name === 'evt' && e.reason === 'ValidationError');
    assert.equal(events.length, 1);
    assert.ok(Number(events[0].count) >= 3);
    assert.equal(events[0].type, 'Warning');
    assert.equal((events[0].involvedObject as { kind: string }).kind, 'FlinkDeployment');
  });
});

describe('user-created FlinkStateSnapshots', () => {
  function createSnapshot(name: string, spec: Record<string, unknown>): void {
    h.store.create('flinkstatesnapshots', {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkStateSnapshot',
      metadata: { name, namespace: NS },
      spec,
    });
  }
  function snapshotStatus(name: string) {
    return h.store.get('flinkstatesnapshots', NS, name)?.status as
      | { state?: string; path?: string; error?: string }
      | undefined;
  }

  test('a savepoint snapshot of a running job goes IN_PROGRESS then COMPLETED with a path in storage', async () => {
    create(h, deployment('user-sp'));
    await waitSettled(h, 'user-sp', 'STABLE');
    createSnapshot('user-sp-1', {
      jobReference: { kind: 'FlinkDeployment', name: 'user-sp' },
      savepoint: {},
    });
    const status = await waitFor('user-sp-1 COMPLETED', () =>
      snapshotStatus('user-sp-1')?.state === 'COMPLETED' ? snapshotStatus('user-sp-1') : undefined,
    );
    assert.match(status!.path ?? '', /^s3:\/\/bucket\/savepoints\/savepoint-/);
    assert.equal(h.sim.listStorage().find((e) => e.path === status!.path)?.kind, 'savepoint');
    assert.equal(must(h, 'user-sp').status?.jobStatus?.state, 'RUNNING', 'not a restart');
  });

  test('a checkpoint snapshot lands in the job checkpoint list', async () => {
    create(h, deployment('user-cp'));
    await waitSettled(h, 'user-cp', 'STABLE');
    createSnapshot('user-cp-1', {
      jobReference: { kind: 'FlinkDeployment', name: 'user-cp' },
      checkpoint: {},
    });
    const status = await waitFor('user-cp-1 COMPLETED', () =>
      snapshotStatus('user-cp-1')?.state === 'COMPLETED' ? snapshotStatus('user-cp-1') : undefined,
    );
    assert.match(status!.path ?? '', /\/chk-\d+$/);
  });

  test('the savepoint fault fails it, an unknown deployment fails it, alreadyExists completes at once', async () => {
    create(h, deployment('user-fail', { annotations: { 'sim.flinkops.io/savepoint': 'fail' } }));
    await waitSettled(h, 'user-fail', 'STABLE');
    createSnapshot('user-fail-1', {
      jobReference: { kind: 'FlinkDeployment', name: 'user-fail' },
      savepoint: {},
    });
    createSnapshot('user-missing-1', {
      jobReference: { kind: 'FlinkDeployment', name: 'nope' },
      savepoint: {},
    });
    createSnapshot('user-exists-1', {
      jobReference: { kind: 'FlinkDeployment', name: 'user-fail' },
      savepoint: { path: 's3://bucket/savepoints/savepoint-abcdef-000000000000', alreadyExists: true },
    });
    await waitFor('user-fail-1 FAILED', () => snapshotStatus('user-fail-1')?.state === 'FAILED');
    await waitFor('user-missing-1 FAILED', () => snapshotStatus('user-missing-1')?.state === 'FAILED');
    assert.match(snapshotStatus('user-missing-1')?.error ?? '', /not found/);
    await waitFor('user-exists-1 COMPLETED', () => snapshotStatus('user-exists-1')?.state === 'COMPLETED');
    assert.equal(
      snapshotStatus('user-exists-1')?.path,
      's3://bucket/savepoints/savepoint-abcdef-000000000000',
    );
  });
});

describe('declared savepoints (FlinkStateSnapshot savepoint.alreadyExists)', () => {
  test('the operator example: the declared path goes into storage (offset 0, unknown) and the deployment starts from it (row 2, NO_CLAIM)', async () => {
    const docs = parseAllDocuments(
      readFileSync(
        new URL('../fixtures/operator-examples/examples_snapshot_job-from-savepoint.yaml', import.meta.url),
        'utf8',
      ),
    ).map((doc) => doc.toJS() as KubeObject);
    const [snapshot, fd] = docs;
    for (const object of docs) object.metadata.namespace = NS;
    // created together, as one `kubectl apply -f` of the file does
    h.store.create('flinkstatesnapshots', snapshot);
    create(h, fd);
    const path = (snapshot.spec as { savepoint: { path: string } }).savepoint.path;
    const stable = await waitSettled(h, 'example-deployment', 'STABLE');
    assert.equal(stable.status?.jobStatus?.upgradeSavepointPath, path);
    assert.equal(lastReconciled(stable).spec.job?.upgradeMode, 'savepoint');
    assert.deepEqual(h.sim.getJob(NS, 'example-deployment')?.restoredFrom, {
      kind: 'savepoint',
      path,
      offset: 0,
      mode: 'NO_CLAIM',
    });
    const stored = h.sim.listStorage().find((entry) => entry.path === path);
    assert.deepEqual(
      { kind: stored?.kind, namespace: stored?.namespace, name: stored?.name, offset: stored?.offset },
      { kind: 'savepoint', namespace: NS, name: 'example-savepoint', offset: 0 },
      'filed under the snapshot (it references no deployment), records unknown = 0',
    );
    const status = h.store.get('flinkstatesnapshots', NS, 'example-savepoint')?.status as { state: string };
    assert.equal(status.state, 'COMPLETED');
  });

  test('created in the same instant as the deployment restoring from it, the declaration is handled first', async () => {
    const store = new ObjectStore();
    const sim = new OperatorSimulator({ store, speed: 200 });
    const path = 's3://bucket/savepoints/savepoint-aaaaaa-bbbbbbbbbbbb';
    store.create('flinkstatesnapshots', {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkStateSnapshot',
      metadata: { name: 'same-instant', namespace: NS },
      spec: { savepoint: { path, alreadyExists: true } },
    });
    store.create('flinkdeployments', deployment('same-instant', { job: { initialSavepointPath: path } }));
    await sim.reconcileNow();
    await new Promise((resolve) => setTimeout(resolve, 100)); // 20 simulated seconds: the job has started
    await sim.reconcileNow();
    const status = store.get('flinkdeployments', NS, 'same-instant')?.status as {
      error?: string;
      jobStatus: { state: string };
    };
    assert.equal(status.error, undefined);
    assert.equal(status.jobStatus.state, 'RUNNING');
    assert.equal(sim.getJob(NS, 'same-instant')?.restoredFrom.mode, 'NO_CLAIM');
    await sim.stop();
  });

  test('declaring a savepoint the simulator took keeps its offset; a later deployment restores that offset', async () => {
    create(h, deployment('declared-src'));
    await waitSettled(h, 'declared-src', 'STABLE');
    await waitProgress(h, 'declared-src', 300, 0);
    update(h, 'declared-src', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const suspended = await waitSettled(h, 'declared-src', 'SUSPENDED');
    const path = suspended.status!.jobStatus!.upgradeSavepointPath!;
    const offset = h.sim.listStorage().find((entry) => entry.path === path)!.offset;
    assert.ok(offset >= 300);
    h.store.create('flinkstatesnapshots', {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkStateSnapshot',
      metadata: { name: 'declared-again', namespace: NS },
      spec: {
        jobReference: { kind: 'FlinkDeployment', name: 'declared-src' },
        savepoint: { path, alreadyExists: true },
      },
    });
    await waitFor(
      'declared-again COMPLETED',
      () =>
        (h.store.get('flinkstatesnapshots', NS, 'declared-again')?.status as { state?: string } | undefined)
          ?.state === 'COMPLETED',
    );
    const stored = h.sim.listStorage().find((entry) => entry.path === path);
    assert.equal(stored?.offset, offset);
    assert.equal(stored?.name, 'declared-src');
    create(h, deployment('declared-dst', { job: { initialSavepointPath: path } }));
    await waitSettled(h, 'declared-dst', 'STABLE');
    assert.equal(h.sim.getJob(NS, 'declared-dst')?.restoredFrom.offset, offset);
  });
});

describe('kubernetes.operator.savepoint.format.type', () => {
  const FORMAT = 'kubernetes.operator.savepoint.format.type';
  /** the option written as nested YAML (kubernetes: {operator: {savepoint: {format: {type: ...}}}}) */
  function nested(name: string, value: string, config: Record<string, string> = {}): KubeObject {
    const object = deployment(name, { config });
    const spec = object.spec as { flinkConfiguration: Record<string, unknown> };
    spec.flinkConfiguration.kubernetes = { operator: { savepoint: { format: { type: value } } } };
    return object;
  }
  const formatOf = (snapshot: KubeObject | undefined) =>
    (snapshot?.spec as { savepoint?: { formatType?: string } } | undefined)?.savepoint?.formatType;

  test('CANONICAL by default: manual and upgrade FlinkStateSnapshots', async () => {
    create(h, deployment('fmt-default'));
    await waitSettled(h, 'fmt-default', 'STABLE');
    update(h, 'fmt-default', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 1;
    });
    const manual = await waitFor('fmt-default manual COMPLETED', () =>
      manualSnapshots('fmt-default').find((s) => (s.status as { state: string }).state === 'COMPLETED'),
    );
    assert.equal(formatOf(manual), 'CANONICAL');
    update(h, 'fmt-default', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    await waitSettled(h, 'fmt-default', 'SUSPENDED');
    const upgrade = snapshotsOf(h, 'fmt-default').find(
      (s) => s.metadata.labels?.['snapshot.trigger-type'] === 'UPGRADE',
    );
    assert.equal(formatOf(upgrade), 'CANONICAL');
  });

  test('NATIVE (nested YAML keys): the manual snapshot, and the UPGRADE snapshot of a suspend', async () => {
    create(h, nested('fmt-native', 'NATIVE'));
    await waitSettled(h, 'fmt-native', 'STABLE');
    update(h, 'fmt-native', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 1;
    });
    const manual = await waitFor('fmt-native manual COMPLETED', () =>
      manualSnapshots('fmt-native').find((s) => (s.status as { state: string }).state === 'COMPLETED'),
    );
    assert.equal(formatOf(manual), 'NATIVE');
    update(h, 'fmt-native', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    await waitSettled(h, 'fmt-native', 'SUSPENDED');
    const upgrade = snapshotsOf(h, 'fmt-native').find(
      (s) => s.metadata.labels?.['snapshot.trigger-type'] === 'UPGRADE',
    );
    assert.equal(formatOf(upgrade), 'NATIVE');
  });

  test('legacy mode: the pending trigger, lastSavepoint and history carry the configured format (flat key, any case)', async () => {
    create(
      h,
      deployment('fmt-legacy', {
        config: { 'kubernetes.operator.snapshot.resource.enabled': 'false', [FORMAT]: 'native' },
        annotations: { 'sim.flinkops.io/savepoint': 'hang' },
      }),
    );
    await waitSettled(h, 'fmt-legacy', 'STABLE');
    update(h, 'fmt-legacy', (fd) => {
      fd.spec.job!.savepointTriggerNonce = 3;
    });
    const pending = await waitFor('fmt-legacy trigger pending', () => {
      const info = get(h, 'fmt-legacy')?.status?.jobStatus?.savepointInfo;
      return info?.triggerId ? info : undefined;
    });
    assert.equal(pending.formatType, 'NATIVE');
    update(h, 'fmt-legacy', (fd) => {
      delete fd.metadata.annotations;
    });
    const manual = await waitFor('fmt-legacy lastSavepoint', () => {
      const last = get(h, 'fmt-legacy')?.status?.jobStatus?.savepointInfo?.lastSavepoint;
      return last?.triggerNonce === 3 ? last : undefined;
    });
    assert.equal(manual.formatType, 'NATIVE');
    update(h, 'fmt-legacy', (fd) => {
      fd.spec.job!.state = 'suspended';
    });
    const fd = await waitSettled(h, 'fmt-legacy', 'SUSPENDED');
    const info = fd.status!.jobStatus!.savepointInfo!;
    assert.equal(info.lastSavepoint?.triggerType, 'UPGRADE');
    assert.equal(info.lastSavepoint?.formatType, 'NATIVE');
    assert.deepEqual(
      (info.savepointHistory as { formatType: string }[]).map((entry) => entry.formatType),
      ['NATIVE', 'NATIVE'],
    );
  });
});
