// Canary resources (label flink.apache.org/canary: "true"): the operator takes them out of normal
// reconciliation (they only feed its health probe) and never deploys them. What remains is the Java
// Operator SDK's finalizer handling: added before the first reconcile, removed at once on deletion.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { FINALIZER } from '../../src/sim/operator/index.ts';
import type { KubeObject } from '../../src/sim/store.ts';
import {
  create,
  deployment,
  eventReasons,
  get,
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

const CANARY = 'flink.apache.org/canary';

function example(): KubeObject {
  const object = parse(
    readFileSync(new URL('../fixtures/operator-examples/examples_canary.yaml', import.meta.url), 'utf8'),
  ) as KubeObject;
  object.metadata.namespace = NS;
  return object;
}

/** a few passes and resyncs' worth of simulated time, then one more full pass */
async function letItRun(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await h.sim.reconcileNow();
}

function assertLeftAlone(name: string, generation = 1): void {
  const fd = must(h, name);
  assert.equal(fd.status, undefined, `${name}: no status written`);
  assert.equal(fd.metadata.generation, generation, `${name}: spec untouched`);
  assert.deepEqual(eventReasons(h, name), [], `${name}: no events`);
  assert.equal(h.sim.getJob(NS, name), undefined, `${name}: no job`);
  assert.equal(
    h.sim.listStorage().some((entry) => entry.name === name),
    false,
    `${name}: nothing in storage`,
  );
}

test('the operator example canary (no spec) is left alone: no status, no events, no error, no job', async () => {
  h.store.create('flinkdeployments', example());
  await waitFor('finalizer on canary', () => get(h, 'canary')?.metadata.finalizers?.includes(FINALIZER));
  await letItRun();
  assertLeftAlone('canary');
  h.store.delete('flinkdeployments', NS, 'canary');
  await waitFor('canary gone', () => get(h, 'canary') === undefined, 5_000);
  assert.deepEqual(eventReasons(h, 'canary'), [], 'no Cleanup event either');
});

test('a complete, valid deployment labelled canary (any case of "true") is never deployed', async () => {
  const object = deployment('canary-full');
  object.metadata.labels = { [CANARY]: 'TRUE' };
  create(h, object);
  await waitFor('finalizer on canary-full', () =>
    get(h, 'canary-full')?.metadata.finalizers?.includes(FINALIZER),
  );
  await letItRun();
  assertLeftAlone('canary-full');
  // spec edits are not reconciled either
  update(h, 'canary-full', (fd) => {
    fd.spec.image = 'flink:1.20.1';
  });
  await letItRun();
  assertLeftAlone('canary-full', 2);
  h.store.delete('flinkdeployments', NS, 'canary-full');
  await waitFor('canary-full gone', () => get(h, 'canary-full') === undefined, 5_000);
});

test('a label value other than "true" is an ordinary deployment', async () => {
  const object = deployment('not-canary');
  object.metadata.labels = { [CANARY]: 'false' };
  create(h, object);
  await waitSettled(h, 'not-canary', 'STABLE');
});

test('labelled canary while running: no longer reconciled; deleting it still completes and takes its cluster', async () => {
  create(h, deployment('late-canary'));
  const before = await waitSettled(h, 'late-canary', 'STABLE');
  await waitProgress(h, 'late-canary', 200, 0);
  update(h, 'late-canary', (fd) => {
    fd.metadata.labels = { [CANARY]: 'true' };
    fd.spec.image = 'flink:1.20.2';
  });
  await letItRun();
  const fd = must(h, 'late-canary');
  assert.equal(
    fd.status?.observedGeneration,
    before.metadata.generation,
    'the spec change is not reconciled',
  );
  assert.equal(fd.status?.jobStatus?.jobId, before.status?.jobStatus?.jobId, 'no restart');
  assert.equal(h.sim.getJob(NS, 'late-canary')?.running, true, 'its cluster keeps running unobserved');
  h.store.delete('flinkdeployments', NS, 'late-canary');
  await waitFor('late-canary gone', () => get(h, 'late-canary') === undefined, 5_000);
  assert.equal(h.sim.getJob(NS, 'late-canary')?.running, false, 'the cluster went with its owner');
  assert.equal(eventReasons(h, 'late-canary').includes('Cleanup'), false, 'no operator cleanup');
});
