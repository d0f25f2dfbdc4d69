import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectStore } from '../../src/sim/store.ts';

test('store bumps generation on spec changes only', () => {
  const store = new ObjectStore();
  const created = store.create('flinkdeployments', {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name: 'a' },
    spec: { x: 1 },
  });
  assert.equal(created.metadata.generation, 1);
  const statusOnly = store.replace(
    'flinkdeployments',
    { ...created, status: { s: 1 } },
    { subresource: 'status' },
  );
  assert.equal(statusOnly.metadata.generation, 1);
  const specChange = store.replace('flinkdeployments', { ...statusOnly, spec: { x: 2 } });
  assert.equal(specChange.metadata.generation, 2);
  assert.deepEqual(specChange.status, { s: 1 });
  assert.throws(() => store.replace('flinkdeployments', { ...created, spec: { x: 3 } }), /modified/);
});
