// The embedded API's resource verbs over real HTTP: what a client sees from a real API server for a custom
// resource (Status errors, optimistic concurrency, generation, the status subresource, finalizers).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { call, fdPath, flinkDeployment } from './sim-api-http.ts';

let cluster: EmbeddedCluster;
let url: string;

before(async () => {
  cluster = await startEmbeddedCluster({ simulator: false });
  url = cluster.url;
});
after(async () => {
  await cluster?.stop();
});

describe('create and get', () => {
  it('creates an object with server-set metadata and returns 201', async () => {
    const created = await call(url, 'POST', fdPath('crud'), flinkDeployment('alpha'));
    assert.equal(created.status, 201);
    const meta = created.json.metadata;
    assert.equal(meta.namespace, 'crud');
    assert.equal(meta.generation, 1);
    assert.match(meta.uid, /^[0-9a-f-]{36}$/);
    assert.ok(Number(meta.resourceVersion) > 0);
    assert.ok(Date.parse(meta.creationTimestamp) > 0);
    const got = await call(url, 'GET', fdPath('crud', 'alpha'));
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, created.json);
  });

  it('answers 409 AlreadyExists for a second create of the same name', async () => {
    const again = await call(url, 'POST', fdPath('crud'), flinkDeployment('alpha'));
    assert.equal(again.status, 409);
    assert.equal(again.json.kind, 'Status');
    assert.equal(again.json.reason, 'AlreadyExists');
    assert.equal(again.json.details.name, 'alpha');
  });

  it('answers 404 NotFound as a Status object', async () => {
    const missing = await call(url, 'GET', fdPath('crud', 'nope'));
    assert.equal(missing.status, 404);
    assert.deepEqual(
      {
        kind: missing.json.kind,
        apiVersion: missing.json.apiVersion,
        status: missing.json.status,
        reason: missing.json.reason,
        code: missing.json.code,
      },
      { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 },
    );
    assert.match(missing.json.message, /flinkdeployments.flink.apache.org "nope" not found/);
  });

  it('fills metadata.name from generateName', async () => {
    const body = flinkDeployment('ignored') as { metadata: Record<string, unknown> };
    body.metadata = { generateName: 'gen-' };
    const created = await call(url, 'POST', fdPath('crud'), body);
    assert.equal(created.status, 201);
    assert.match(created.json.metadata.name, /^gen-[a-z0-9]{5}$/);
  });

  it('ignores the status on create (status subresource)', async () => {
    const body = { ...flinkDeployment('with-status'), status: { lifecycleState: 'STABLE' } };
    const created = await call(url, 'POST', fdPath('crud'), body);
    assert.equal(created.status, 201);
    assert.equal(created.json.status, undefined);
  });
});

describe('validation', () => {
  it('answers 422 Invalid naming the field path from the CRD schema', async () => {
    const body = flinkDeployment('bad');
    (body.spec.job as Record<string, unknown>).parallelism = 'two';
    (body.spec.job as Record<string, unknown>).upgradeMode = 'sometimes';
    const res = await call(url, 'POST', fdPath('crud'), body);
    assert.equal(res.status, 422);
    assert.equal(res.json.reason, 'Invalid');
    const fields = res.json.details.causes.map((c: { field: string }) => c.field).sort();
    assert.deepEqual(fields, ['spec.job.parallelism', 'spec.job.upgradeMode']);
    assert.match(res.json.message, /FlinkDeployment.flink.apache.org "bad" is invalid/);
    assert.equal((await call(url, 'GET', fdPath('crud', 'bad'))).status, 404);
  });

  it('rejects an invalid patch with 422 and leaves the object alone', async () => {
    const res = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha'),
      { spec: { flinkVersion: 'v0_1' } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(res.status, 422);
    assert.equal(res.json.details.causes[0].field, 'spec.flinkVersion');
    assert.equal((await call(url, 'GET', fdPath('crud', 'alpha'))).json.spec.flinkVersion, 'v1_20');
  });

  it('prunes unknown fields with a warning, and refuses them with fieldValidation=Strict', async () => {
    const body = flinkDeployment('unknown-fields') as Record<string, unknown> & {
      spec: Record<string, unknown>;
    };
    body.spec.notAField = 1;
    const strict = await call(url, 'POST', `${fdPath('crud')}?fieldValidation=Strict`, body);
    assert.equal(strict.status, 400);
    assert.match(strict.json.message, /unknown field "spec.notAField"/);
    const warned = await call(url, 'POST', fdPath('crud'), body);
    assert.equal(warned.status, 201);
    assert.equal(warned.json.spec.notAField, undefined);
    assert.match(String(warned.headers.warning), /unknown field \\"spec.notAField\\"/);
  });
});

describe('update, patch and optimistic concurrency', () => {
  it('bumps generation on a spec change only, and answers 409 Conflict for a stale resourceVersion', async () => {
    const current = (await call(url, 'GET', fdPath('crud', 'alpha'))).json;
    const changed = structuredClone(current);
    changed.spec.job.parallelism = 4;
    const updated = await call(url, 'PUT', fdPath('crud', 'alpha'), changed);
    assert.equal(updated.status, 200);
    assert.equal(updated.json.metadata.generation, 2);
    assert.ok(Number(updated.json.metadata.resourceVersion) > Number(current.metadata.resourceVersion));

    const stale = await call(url, 'PUT', fdPath('crud', 'alpha'), changed); // still carries the old resourceVersion
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.match(stale.json.message, /the object has been modified/);

    const labelled = structuredClone(updated.json);
    labelled.metadata.labels = { team: 'a' };
    const metaOnly = await call(url, 'PUT', fdPath('crud', 'alpha'), labelled);
    assert.equal(metaOnly.status, 200);
    assert.equal(metaOnly.json.metadata.generation, 2, 'a label change is not a spec change');
  });

  it('requires a resourceVersion on PUT, as for every custom resource', async () => {
    const current = (await call(url, 'GET', fdPath('crud', 'alpha'))).json;
    delete current.metadata.resourceVersion;
    const res = await call(url, 'PUT', fdPath('crud', 'alpha'), current);
    assert.equal(res.status, 422);
    assert.equal(res.json.details.causes[0].field, 'metadata.resourceVersion');
  });

  it('applies merge patches, and a resourceVersion inside one is a precondition', async () => {
    const merged = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha'),
      { spec: { job: { parallelism: 6 } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(merged.status, 200);
    assert.equal(merged.json.spec.job.parallelism, 6);
    assert.equal(merged.json.spec.job.upgradeMode, 'savepoint', 'merge keeps sibling fields');
    const stale = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha'),
      { metadata: { resourceVersion: '1' }, spec: { job: { parallelism: 7 } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
  });

  it('applies JSON patches, with test operations failing the whole patch', async () => {
    const ok = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha'),
      [
        { op: 'test', path: '/spec/job/parallelism', value: 6 },
        { op: 'replace', path: '/spec/job/parallelism', value: 8 },
      ],
      { 'Content-Type': 'application/json-patch+json' },
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.json.spec.job.parallelism, 8);
    const failed = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha'),
      [
        { op: 'test', path: '/spec/job/parallelism', value: 6 },
        { op: 'replace', path: '/spec/job/parallelism', value: 9 },
      ],
      { 'Content-Type': 'application/json-patch+json' },
    );
    assert.equal(failed.status, 422);
    assert.equal((await call(url, 'GET', fdPath('crud', 'alpha'))).json.spec.job.parallelism, 8);
  });

  it('answers 415 to a strategic merge patch, as for any custom resource', async () => {
    const res = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha'),
      { spec: {} },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    assert.equal(res.status, 415);
    assert.equal(res.json.reason, 'UnsupportedMediaType');
  });

  it('server-side applies: creates when missing, merges when present', async () => {
    const yamlBody =
      'apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: applied\nspec:\n  image: flink:1.20\n  job:\n    jarURI: local:///x.jar\n    parallelism: 1\n';
    const headers = { 'Content-Type': 'application/apply-patch+yaml' };
    const created = await call(
      url,
      'PATCH',
      `${fdPath('crud', 'applied')}?fieldManager=test`,
      yamlBody,
      headers,
    );
    assert.equal(created.status, 201);
    const updated = await call(
      url,
      'PATCH',
      `${fdPath('crud', 'applied')}?fieldManager=test`,
      yamlBody.replace('parallelism: 1', 'parallelism: 3'),
      headers,
    );
    assert.equal(updated.status, 200);
    assert.equal(updated.json.spec.job.parallelism, 3);
    assert.equal(updated.json.metadata.generation, 2);
  });
});

describe('status subresource', () => {
  it('writes the status only, without touching spec or generation', async () => {
    const before = (await call(url, 'GET', fdPath('crud', 'alpha'))).json;
    const patched = await call(
      url,
      'PATCH',
      fdPath('crud', 'alpha', 'status'),
      {
        spec: { job: { parallelism: 99 } },
        status: { lifecycleState: 'STABLE', observedGeneration: before.metadata.generation },
      },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(patched.status, 200);
    assert.equal(patched.json.status.lifecycleState, 'STABLE');
    assert.equal(patched.json.spec.job.parallelism, before.spec.job.parallelism);
    assert.equal(patched.json.metadata.generation, before.metadata.generation);
    assert.ok(Number(patched.json.metadata.resourceVersion) > Number(before.metadata.resourceVersion));

    const viaPut = structuredClone(patched.json);
    viaPut.status.lifecycleState = 'SUSPENDED';
    viaPut.spec.image = 'ignored:1';
    const put = await call(url, 'PUT', fdPath('crud', 'alpha', 'status'), viaPut);
    assert.equal(put.status, 200);
    assert.equal(put.json.status.lifecycleState, 'SUSPENDED');
    assert.equal(put.json.spec.image, before.spec.image);
    assert.equal(put.json.metadata.generation, before.metadata.generation);
    const got = await call(url, 'GET', fdPath('crud', 'alpha', 'status'));
    assert.equal(got.json.status.lifecycleState, 'SUSPENDED');
  });

  it('ignores status in a write to the main resource', async () => {
    const current = (await call(url, 'GET', fdPath('crud', 'alpha'))).json;
    current.status = { lifecycleState: 'FAILED' };
    const put = await call(url, 'PUT', fdPath('crud', 'alpha'), current);
    assert.equal(put.status, 200);
    assert.equal(put.json.status.lifecycleState, 'SUSPENDED');
  });
});

describe('list and selectors', () => {
  before(async () => {
    const make = (name: string, labels: Record<string, string>) =>
      call(url, 'POST', fdPath('sel'), flinkDeployment(name, { labels }));
    await make('a1', { app: 'a', tier: 'gold' });
    await make('a2', { app: 'a', tier: 'silver' });
    await make('b1', { app: 'b' });
  });

  const names = async (query: string, path = fdPath('sel')) =>
    (await call(url, 'GET', `${path}?${query}`)).json.items
      .map((i: { metadata: { name: string } }) => i.metadata.name)
      .sort();

  it('lists with a resourceVersion and List kind', async () => {
    const res = await call(url, 'GET', fdPath('sel'));
    assert.equal(res.json.kind, 'FlinkDeploymentList');
    assert.equal(res.json.apiVersion, 'flink.apache.org/v1beta1');
    assert.equal(res.json.metadata.resourceVersion, String(cluster.store.resourceVersion));
    assert.equal(res.json.items.length, 3);
  });

  it('filters by label selectors: =, ==, !=, in, notin, exists, !exists', async () => {
    assert.deepEqual(await names('labelSelector=app%3Da'), ['a1', 'a2']);
    assert.deepEqual(await names('labelSelector=app%3D%3Db'), ['b1']);
    assert.deepEqual(await names('labelSelector=app!%3Da'), ['b1']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('tier in (gold,bronze)')}`), ['a1']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('tier notin (gold)')}`), ['a2', 'b1']);
    assert.deepEqual(await names('labelSelector=tier'), ['a1', 'a2']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('!tier')}`), ['b1']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('app=a,tier!=gold')}`), ['a2']);
  });

  it('filters by field selectors on metadata.name and metadata.namespace, also cluster-wide', async () => {
    assert.deepEqual(await names('fieldSelector=metadata.name%3Db1'), ['b1']);
    const all = '/apis/flink.apache.org/v1beta1/flinkdeployments';
    assert.deepEqual(await names('fieldSelector=metadata.namespace%3Dsel', all), ['a1', 'a2', 'b1']);
    const everywhere = await names('', all);
    assert.ok(everywhere.includes('alpha') && everywhere.includes('a1'));
  });

  it('answers 400 to a field selector it does not support', async () => {
    const res = await call(url, 'GET', `${fdPath('sel')}?fieldSelector=spec.image%3Dx`);
    assert.equal(res.status, 400);
    assert.equal(res.json.reason, 'BadRequest');
  });
});

describe('delete', () => {
  it('deletes at once without finalizers', async () => {
    await call(url, 'POST', fdPath('del'), flinkDeployment('plain'));
    const res = await call(url, 'DELETE', fdPath('del', 'plain'), { propagationPolicy: 'Foreground' });
    assert.equal(res.status, 200);
    assert.equal((await call(url, 'GET', fdPath('del', 'plain'))).status, 404);
  });

  it('marks deletionTimestamp while a finalizer remains, and removes the object when it is cleared', async () => {
    const body = flinkDeployment('guarded') as { metadata: Record<string, unknown> };
    body.metadata.finalizers = ['flinkdeployments.flink.apache.org/finalizer'];
    await call(url, 'POST', fdPath('del'), body);
    const res = await call(url, 'DELETE', fdPath('del', 'guarded'));
    assert.equal(res.status, 200);
    assert.ok(res.json.metadata.deletionTimestamp);
    const still = await call(url, 'GET', fdPath('del', 'guarded'));
    assert.equal(still.status, 200);
    assert.ok(still.json.metadata.deletionTimestamp);
    const cleared = await call(
      url,
      'PATCH',
      fdPath('del', 'guarded'),
      [{ op: 'remove', path: '/metadata/finalizers' }],
      {
        'Content-Type': 'application/json-patch+json',
      },
    );
    assert.equal(cleared.status, 200);
    assert.equal((await call(url, 'GET', fdPath('del', 'guarded'))).status, 404);
  });

  it('honours a resourceVersion precondition', async () => {
    const created = await call(url, 'POST', fdPath('del'), flinkDeployment('pre'));
    const res = await call(url, 'DELETE', fdPath('del', 'pre'), { preconditions: { resourceVersion: '1' } });
    assert.equal(res.status, 409);
    const ok = await call(url, 'DELETE', fdPath('del', 'pre'), {
      preconditions: { resourceVersion: created.json.metadata.resourceVersion },
    });
    assert.equal(ok.status, 200);
  });

  it('answers 404 for a missing object', async () => {
    assert.equal((await call(url, 'DELETE', fdPath('del', 'ghost'))).status, 404);
  });
});

describe('flinkstatesnapshots and events', () => {
  it('serves FlinkStateSnapshots with their own schema', async () => {
    const path = '/apis/flink.apache.org/v1beta1/namespaces/snap/flinkstatesnapshots';
    const snapshot = {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkStateSnapshot',
      metadata: { name: 'sp-1' },
      spec: {
        backoffLimit: 1,
        jobReference: { kind: 'FlinkDeployment', name: 'alpha' },
        savepoint: { path: '/sp/1', alreadyExists: true },
      },
    };
    assert.equal((await call(url, 'POST', path, snapshot)).status, 201);
    const bad = await call(url, 'POST', path, {
      ...snapshot,
      metadata: { name: 'sp-2' },
      spec: { jobReference: { kind: 'Pod', name: 'x' } },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.details.causes[0].field, 'spec.jobReference.kind');
  });

  it('lists core/v1 events written through the store', async () => {
    cluster.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'alpha.1', namespace: 'crud' },
      reason: 'SpecChanged',
      message: 'spec changed',
      type: 'Normal',
      involvedObject: { kind: 'FlinkDeployment', name: 'alpha', namespace: 'crud' },
    });
    const res = await call(url, 'GET', '/api/v1/namespaces/crud/events');
    assert.equal(res.status, 200);
    assert.equal(res.json.kind, 'EventList');
    assert.equal(res.json.items[0].reason, 'SpecChanged');
    // kubectl describe selects a deployment's events by the object they are about
    const selector = encodeURIComponent(
      'involvedObject.name=alpha,involvedObject.namespace=crud,involvedObject.kind=FlinkDeployment',
    );
    const described = await call(url, 'GET', `/api/v1/namespaces/crud/events?fieldSelector=${selector}`);
    assert.deepEqual(
      described.json.items.map((e: { reason: string }) => e.reason),
      ['SpecChanged'],
    );
    const other = await call(
      url,
      'GET',
      `/api/v1/namespaces/crud/events?fieldSelector=${encodeURIComponent('involvedObject.name=beta')}`,
    );
    assert.deepEqual(other.json.items, []);
  });
});
