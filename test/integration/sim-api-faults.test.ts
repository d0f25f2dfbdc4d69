// API-level faults for resilience tests: set over HTTP (POST /sim/v1/faults) or programmatically, they make
// requests fail with 500, writes with 409, cut watch streams, and slow every request down.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { call, fdPath, flinkDeployment, WatchStream } from './sim-api-http.ts';

let cluster: EmbeddedCluster;
let url: string;

before(async () => {
  cluster = await startEmbeddedCluster({ simulator: false });
  url = cluster.url;
  await call(url, 'POST', fdPath('faults'), flinkDeployment('target'));
});
beforeEach(() => {
  cluster.setApiFaults({});
});
after(async () => {
  await cluster?.stop();
});

describe('API faults', () => {
  it('are read and replaced through /sim/v1/faults', async () => {
    assert.deepEqual((await call(url, 'GET', '/sim/v1/faults')).json, {});
    const set = await call(url, 'POST', '/sim/v1/faults', { errorRate: 0.25, latencyMs: 5 });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json, { errorRate: 0.25, latencyMs: 5 });
    assert.deepEqual((await call(url, 'GET', '/sim/v1/faults')).json, { errorRate: 0.25, latencyMs: 5 });
    const bad = await call(url, 'POST', '/sim/v1/faults', { errorRate: 2 });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /errorRate must be a number in 0..1/);
    const unknown = await call(url, 'POST', '/sim/v1/faults', { explode: true });
    assert.equal(unknown.status, 400);
  });

  it('errorRate 1 answers every resource request with a 500 Status, and 0 heals it', async () => {
    cluster.setApiFaults({ errorRate: 1 });
    const res = await call(url, 'GET', fdPath('faults', 'target'));
    assert.equal(res.status, 500);
    assert.equal(res.json.reason, 'InternalError');
    assert.equal(
      (await call(url, 'GET', '/sim/v1/faults')).status,
      200,
      'the control endpoint stays reachable',
    );
    cluster.setApiFaults({ errorRate: 0 });
    assert.equal((await call(url, 'GET', fdPath('faults', 'target'))).status, 200);
  });

  it('errorRate 0.5 fails some requests and not others', async () => {
    cluster.setApiFaults({ errorRate: 0.5 });
    const codes = new Set<number>();
    for (let i = 0; i < 60 && codes.size < 2; i++)
      codes.add((await call(url, 'GET', fdPath('faults', 'target'))).status);
    assert.deepEqual([...codes].sort(), [200, 500]);
  });

  it('conflictRate 1 answers writes with 409 Conflict and leaves reads alone', async () => {
    cluster.setApiFaults({ conflictRate: 1 });
    const write = await call(
      url,
      'PATCH',
      fdPath('faults', 'target'),
      { spec: { job: { parallelism: 5 } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(write.status, 409);
    assert.equal(write.json.reason, 'Conflict');
    const read = await call(url, 'GET', fdPath('faults', 'target'));
    assert.equal(read.status, 200);
    assert.equal(read.json.spec.job.parallelism, 2);
  });

  it('dropWatchRate 1 cuts watch streams after their first event', async () => {
    await call(url, 'POST', fdPath('faults'), flinkDeployment('second'));
    cluster.setApiFaults({ dropWatchRate: 1 });
    const stream = new WatchStream(`${url}${fdPath('faults')}?watch=true`);
    try {
      await stream.waitForEnd();
      assert.equal(stream.events.length, 1, 'one event, then the connection is cut');
    } finally {
      stream.close();
    }
  });

  it('latencyMs delays every resource request', async () => {
    cluster.setApiFaults({ latencyMs: 300 });
    const started = performance.now();
    assert.equal((await call(url, 'GET', fdPath('faults', 'target'))).status, 200);
    assert.ok(performance.now() - started >= 250, 'answered no sooner than the added latency');
  });
});

describe('truth endpoints without a simulator', () => {
  it('answer 404 for a job and an empty storage', async () => {
    const job = await call(url, 'GET', '/sim/v1/namespaces/faults/jobs/target');
    assert.equal(job.status, 404);
    assert.equal(job.json.kind, 'Status');
    assert.deepEqual((await call(url, 'GET', '/sim/v1/storage')).json, { items: [] });
  });
});
