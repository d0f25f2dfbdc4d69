// The rules flinkops exists for, proven end to end against the embedded cluster and its operator
// simulator, driven only through the cluster client (plus the simulator's truth endpoint, which says
// what each job really processed and restored from):
//   (a) a savepoint-mode suspend then resume keeps the offset (restored from the savepoint, CLAIM);
//   (b) delete then re-create starts at 0, unless initialSavepointPath points at the last savepoint
//       (then NO_CLAIM from that savepoint's offset);
//   (c) a failed savepoint during an image upgrade leaves the job RUNNING on the old spec with status.error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClusterClient, type KubeClusterClient } from '../../src/cluster/client.ts';
import {
  assessHealth,
  generationObserved,
  isStable,
  lastReconciledSpec,
  operatorError,
  upgradeSavepointPath,
} from '../../src/cluster/health.ts';
import { untilGone, untilStable, untilSuspended } from '../../src/cluster/predicates.ts';
import { WaitAbandonedError } from '../../src/cluster/wait.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import type { JobTruth, StoredSnapshot } from '../../src/sim/types.ts';

const NS = 'scenarios';
const SPEED = 50;
const WAIT = { timeoutMs: 60_000 };

function statefulDeployment(
  name: string,
  job: Partial<NonNullable<FlinkDeployment['spec']['job']>> = {},
): FlinkDeployment {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace: NS },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: 'flink',
      flinkConfiguration: {
        'state.savepoints.dir': `file:///flink-data/savepoints/${name}`,
        'state.checkpoints.dir': `file:///flink-data/checkpoints/${name}`,
        'execution.checkpointing.interval': '10s',
      },
      jobManager: { resource: { memory: '1024m', cpu: 1 } },
      taskManager: { resource: { memory: '1024m', cpu: 1 } },
      job: {
        jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar',
        parallelism: 1,
        upgradeMode: 'savepoint',
        state: 'running',
        ...job,
      },
    },
  };
}

describe('state-keeping scenarios on the embedded cluster', () => {
  let cluster: EmbeddedCluster;
  let client: KubeClusterClient;

  const truth = async (name: string): Promise<JobTruth | null> => {
    const res = await fetch(`${cluster.url}/sim/v1/namespaces/${NS}/jobs/${name}`);
    if (res.status === 404) return null;
    assert.equal(res.status, 200, `truth of ${name}: HTTP ${res.status}`);
    return (await res.json()) as JobTruth;
  };
  const storage = async (): Promise<StoredSnapshot[]> => {
    const res = await fetch(`${cluster.url}/sim/v1/storage`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: StoredSnapshot[] }).items;
  };
  /** polls (bounded) until `check` returns a value */
  const eventually = async <T>(
    what: string,
    check: () => Promise<T | undefined | null | false>,
  ): Promise<T> => {
    const deadline = Date.now() + 30_000;
    for (let i = 0; i < 3_000 && Date.now() < deadline; i++) {
      const value = await check();
      if (value) return value;
      await sleep(20);
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  const runningWithOffsetAbove = (name: string, min: number) =>
    eventually(`${name} to process more than ${min} records`, async () => {
      const t = await truth(name);
      return t?.running && t.offset > min ? t : null;
    });
  const startStable = async (fd: FlinkDeployment) => {
    await client.create(fd);
    return client.waitFor(NS, fd.metadata.name, untilStable(), { ...WAIT, waitingFor: 'lifecycle STABLE' });
  };

  before(async () => {
    cluster = await startEmbeddedCluster({ host: '127.0.0.1', port: 0, speed: SPEED });
    client = createClusterClient({ kubeconfigText: cluster.kubeconfig });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('(a) savepoint-mode suspend then resume keeps the offset: restored from that savepoint in CLAIM mode', async () => {
    const name = 'suspend-resume';
    const started = await startStable(statefulDeployment(name));
    assert.ok(isStable(started));
    const fresh = await truth(name);
    assert.equal(
      fresh?.restoredFrom.kind,
      'none',
      'a first deploy without initialSavepointPath starts empty',
    );
    await runningWithOffsetAbove(name, 500);

    await client.patch(NS, name, () => ({ spec: { job: { state: 'suspended' } } }));
    const suspended = await client.waitFor(NS, name, untilSuspended(), {
      ...WAIT,
      waitingFor: 'lifecycle SUSPENDED',
    });
    assert.equal(assessHealth(suspended).status, 'Suspended');
    const savepointPath = upgradeSavepointPath(suspended);
    assert.ok(savepointPath, 'a savepoint-mode suspend records jobStatus.upgradeSavepointPath');

    const stopped = await truth(name);
    assert.equal(stopped?.running, false);
    const savepoint = stopped?.savepoints.find((s) => s.path === savepointPath);
    assert.ok(
      savepoint,
      `the savepoint ${savepointPath} is in the job's truth: ${JSON.stringify(stopped?.savepoints)}`,
    );
    assert.equal(savepoint.offset, stopped?.offset, 'the savepoint captured the offset the job stopped at');
    assert.ok(savepoint.offset > 500);
    const snapshots = await client.listSnapshots(NS, name);
    assert.ok(
      snapshots.some((s) => s.status?.path === savepointPath || s.spec.savepoint?.path === savepointPath),
      `an UPGRADE FlinkStateSnapshot points at the savepoint: ${JSON.stringify(snapshots.map((s) => s.metadata.name))}`,
    );

    // The job's offset must not move while suspended.
    await sleep(100);
    assert.equal((await truth(name))?.offset, savepoint.offset);

    await client.patch(NS, name, () => ({ spec: { job: { state: 'running' } } }));
    const resumed = await client.waitFor(NS, name, untilStable(), {
      ...WAIT,
      waitingFor: 'lifecycle STABLE after resume',
    });
    assert.equal(resumed?.status?.jobStatus?.state, 'RUNNING');
    const after = await truth(name);
    assert.deepEqual(after?.restoredFrom, {
      kind: 'savepoint',
      path: savepointPath,
      offset: savepoint.offset,
      mode: 'CLAIM',
    });
    assert.ok(
      (after?.offset ?? 0) >= savepoint.offset,
      'the resumed job continues from the savepoint offset',
    );
  });

  it('(b) delete then re-create starts at offset 0, unless initialSavepointPath names the last savepoint (NO_CLAIM)', async () => {
    const name = 'recreate';
    await startStable(statefulDeployment(name));
    await runningWithOffsetAbove(name, 300);

    // A manual savepoint (what guarded-delete takes before deleting), reported through a FlinkStateSnapshot.
    await client.patch(NS, name, () => ({ spec: { job: { savepointTriggerNonce: 1 } } }));
    const snapshot = await eventually('the manual savepoint to complete', async () => {
      const list = await client.listSnapshots(NS, name);
      const failed = list.find((s) => s.status?.state === 'FAILED');
      assert.equal(failed, undefined, `manual savepoint failed: ${failed?.status?.error}`);
      return list.find((s) => s.status?.state === 'COMPLETED' && s.status.path);
    });
    const savepointPath = snapshot.status?.path as string;
    const stored = (await storage()).find((s) => s.path === savepointPath);
    assert.ok(stored, `${savepointPath} is in simulated storage`);
    assert.equal(stored.kind, 'savepoint');
    assert.ok(stored.offset > 300);

    await client.delete(NS, name);
    assert.equal(await client.waitFor(NS, name, untilGone(), { ...WAIT, waitingFor: 'deletion' }), null);
    assert.ok(
      (await storage()).some((s) => s.path === savepointPath),
      'the savepoint file outlives the deployment',
    );

    // Re-created as is: nothing points at the old state, so it starts empty.
    await startStable(statefulDeployment(name));
    const empty = await truth(name);
    assert.equal(empty?.restoredFrom.kind, 'none');
    assert.equal(empty?.restoredFrom.offset, 0);
    assert.equal(empty?.restoredFrom.path, null);
    assert.ok((empty?.offset ?? 0) < stored.offset, 'the re-created job did not inherit the old offset');

    await client.delete(NS, name);
    await client.waitFor(NS, name, untilGone(), { ...WAIT, waitingFor: 'deletion' });

    // Re-created from the last savepoint: a new deployment restores in NO_CLAIM mode at that offset.
    await startStable(statefulDeployment(name, { initialSavepointPath: savepointPath }));
    const restored = await truth(name);
    assert.deepEqual(restored?.restoredFrom, {
      kind: 'savepoint',
      path: savepointPath,
      offset: stored.offset,
      mode: 'NO_CLAIM',
    });
  });

  it('(c) a failed savepoint during an image upgrade leaves the job RUNNING on the old spec with status.error', async () => {
    const name = 'failed-savepoint';
    const started = await startStable(statefulDeployment(name));
    const generation = started?.metadata.generation ?? 0;
    const jobId = started?.status?.jobStatus?.jobId;
    await runningWithOffsetAbove(name, 200);

    await client.patch(NS, name, () => ({
      metadata: { annotations: { 'sim.flinkops.io/savepoint': 'fail' } },
    }));
    const baselineError = (await client.get(NS, name))?.status?.error ?? null;
    await client.patch(NS, name, () => ({ spec: { image: 'flink:1.20-patched' } }));

    // The worker's view: waiting for the upgrade gives up with the operator's own message.
    const err = await client
      .waitFor(NS, name, untilStable({ baselineError }), { ...WAIT, waitingFor: 'the upgraded job STABLE' })
      .then(
        () => assert.fail('the upgrade must not become stable while savepoints fail'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof WaitAbandonedError, String(err));
    assert.match(err.message, /operator reported: .*savepoint/i);

    const live = await client.get(NS, name);
    assert.ok(live);
    const opError = operatorError(live);
    assert.ok(opError, 'status.error is set');
    assert.match(opError.message, /savepoint/i);
    assert.equal(live.status?.jobStatus?.state, 'RUNNING', 'the job keeps running');
    assert.equal(live.status?.jobStatus?.jobId, jobId, 'the same job, not a redeployed one');
    assert.equal(generationObserved(live), false, 'the new spec was not applied: observedGeneration lags');
    assert.equal(live.metadata.generation, generation + 1);
    assert.equal(lastReconciledSpec(live)?.image, 'flink:1.20', 'the operator still runs the old image');
    assert.notEqual(assessHealth(live).status, 'Healthy');
    const events = await client.listEvents(NS, name);
    assert.ok(
      events.some((e) => e.reason === 'SavepointError' && e.type === 'Warning'),
      `a SavepointError event: ${JSON.stringify(events.map((e) => e.reason))}`,
    );

    const running = await truth(name);
    assert.equal(running?.running, true);
    const offsetThen = running?.offset ?? 0;
    await runningWithOffsetAbove(name, offsetThen);
  });
  it('(d) suspend then resume still keeps the offset when the API answers 500s, 409s and cuts watches', async () => {
    const name = 'flaky-api';
    const sturdy = createClusterClient({
      kubeconfigText: cluster.kubeconfig,
      retry: { attempts: 12, baseDelayMs: 10, maxDelayMs: 200 },
      conflictRetry: { attempts: 12, baseDelayMs: 10, maxDelayMs: 200 },
    });
    cluster.setApiFaults({ errorRate: 0.2, conflictRate: 0.3, dropWatchRate: 0.5 });
    try {
      await sturdy.create(statefulDeployment(name));
      await sturdy.waitFor(NS, name, untilStable(), { ...WAIT, waitingFor: 'lifecycle STABLE' });
      await runningWithOffsetAbove(name, 300);
      await sturdy.patch(NS, name, () => ({ spec: { job: { state: 'suspended' } } }));
      const suspended = await sturdy.waitFor(NS, name, untilSuspended(), {
        ...WAIT,
        waitingFor: 'lifecycle SUSPENDED',
      });
      const savepointPath = upgradeSavepointPath(suspended);
      const savepoint = (await truth(name))?.savepoints.find((s) => s.path === savepointPath);
      assert.ok(savepoint, `savepoint ${savepointPath} recorded`);
      await sturdy.patch(NS, name, () => ({ spec: { job: { state: 'running' } } }));
      await sturdy.waitFor(NS, name, untilStable(), { ...WAIT, waitingFor: 'lifecycle STABLE after resume' });
      assert.deepEqual((await truth(name))?.restoredFrom, {
        kind: 'savepoint',
        path: savepointPath,
        offset: savepoint.offset,
        mode: 'CLAIM',
      });
    } finally {
      cluster.setApiFaults({});
    }
  });
});
