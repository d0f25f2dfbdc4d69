// reconcileNow() is a full pass on demand: tests (and tools) can drive the simulator without its timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OperatorSimulator } from '../../src/sim/operator/index.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import { deployment, NS } from './sim-operator-harness.ts';

test('without start(), each reconcileNow() moves a new deployment one step on: finalizer, UPGRADING -> DEPLOYED', async () => {
  const store = new ObjectStore();
  const sim = new OperatorSimulator({ store, speed: 1 });
  store.create('flinkdeployments', deployment('manual-drive'));
  assert.equal(
    store.get('flinkdeployments', NS, 'manual-drive')?.status,
    undefined,
    'nothing happens unasked',
  );
  await sim.reconcileNow();
  const fd = store.get('flinkdeployments', NS, 'manual-drive')!;
  assert.ok(fd.metadata.finalizers?.includes('flinkdeployments.flink.apache.org/finalizer'));
  const status = fd.status as {
    lifecycleState: string;
    jobStatus: { state: string };
    jobManagerDeploymentStatus: string;
  };
  assert.equal(status.lifecycleState, 'DEPLOYED');
  assert.equal(status.jobStatus.state, 'RECONCILING');
  assert.equal(status.jobManagerDeploymentStatus, 'DEPLOYING');
  assert.equal(sim.getJob(NS, 'manual-drive')?.running, false);
  await sim.stop();
});
