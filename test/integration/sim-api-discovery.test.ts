// Discovery as kubectl and @kubernetes/client-node read it: the legacy documents, short names, the status
// subresource, OpenAPI v3 with the fieldValidation parameter, and Table output with the CRD's printer columns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { humanDuration } from '../../src/sim/api/age.ts';
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

describe('discovery', () => {
  it('serves /version, /api and /apis', async () => {
    assert.equal((await call(url, 'GET', '/version')).json.major, '1');
    const api = (await call(url, 'GET', '/api')).json;
    assert.equal(api.kind, 'APIVersions');
    assert.deepEqual(api.versions, ['v1']);
    const apis = (await call(url, 'GET', '/apis')).json;
    assert.equal(apis.kind, 'APIGroupList');
    assert.deepEqual(apis.groups[0].preferredVersion, {
      groupVersion: 'flink.apache.org/v1beta1',
      version: 'v1beta1',
    });
    assert.equal((await call(url, 'GET', '/apis/flink.apache.org')).json.kind, 'APIGroup');
  });

  it('answers the aggregated-discovery Accept header with the plain form', async () => {
    const res = await call(url, 'GET', '/apis', undefined, {
      Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    assert.equal(res.json.kind, 'APIGroupList');
  });

  it('lists the Flink resources with short names, verbs and status subresources', async () => {
    const list = (await call(url, 'GET', '/apis/flink.apache.org/v1beta1')).json;
    assert.equal(list.kind, 'APIResourceList');
    assert.equal(list.groupVersion, 'flink.apache.org/v1beta1');
    const byName = Object.fromEntries(list.resources.map((r: { name: string }) => [r.name, r]));
    assert.deepEqual(byName.flinkdeployments.shortNames, ['flinkdep']);
    assert.equal(byName.flinkdeployments.kind, 'FlinkDeployment');
    assert.equal(byName.flinkdeployments.singularName, 'flinkdeployment');
    assert.equal(byName.flinkdeployments.namespaced, true);
    assert.deepEqual([...byName.flinkdeployments.verbs].sort(), [
      'create',
      'delete',
      'get',
      'list',
      'patch',
      'update',
      'watch',
    ]);
    assert.deepEqual(byName.flinkstatesnapshots.shortNames, ['flinksnp']);
    assert.deepEqual([...byName['flinkdeployments/status'].verbs].sort(), ['get', 'patch', 'update']);
    assert.ok(byName['flinkstatesnapshots/status']);
    const core = (await call(url, 'GET', '/api/v1')).json;
    assert.deepEqual(core.resources.map((r: { name: string }) => r.name).sort(), ['events', 'namespaces']);
  });

  it('publishes OpenAPI v3 for the group, with fieldValidation on PATCH and no strategic merge', async () => {
    const root = (await call(url, 'GET', '/openapi/v3')).json;
    const ref = root.paths['apis/flink.apache.org/v1beta1'].serverRelativeURL;
    assert.match(ref, /^\/openapi\/v3\/apis\/flink.apache.org\/v1beta1\?hash=[0-9A-F]+$/);
    const doc = (await call(url, 'GET', ref)).json;
    const item = doc.paths['/apis/flink.apache.org/v1beta1/namespaces/{namespace}/flinkdeployments/{name}'];
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], {
      group: 'flink.apache.org',
      version: 'v1beta1',
      kind: 'FlinkDeployment',
    });
    assert.ok(item.patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
    assert.equal(item.patch.requestBody.content['application/strategic-merge-patch+json'], undefined);
    assert.ok(doc.components.schemas['org.apache.flink.v1beta1.FlinkDeployment'].properties.spec);
  });

  it('lists implicit namespaces', async () => {
    await call(url, 'POST', fdPath('team-a'), flinkDeployment('ns-probe'));
    const names = (await call(url, 'GET', '/api/v1/namespaces')).json.items.map(
      (n: { metadata: { name: string } }) => n.metadata.name,
    );
    assert.ok(names.includes('default') && names.includes('team-a'));
    assert.equal((await call(url, 'GET', '/api/v1/namespaces/team-a')).status, 200);
    assert.equal((await call(url, 'GET', '/api/v1/namespaces/none-such')).status, 404);
  });

  it('renders Tables with the CRD printer columns', async () => {
    await call(url, 'POST', fdPath('tables'), flinkDeployment('printed'));
    await call(
      url,
      'PATCH',
      fdPath('tables', 'printed', 'status'),
      { status: { lifecycleState: 'STABLE', jobStatus: { state: 'RUNNING' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    const res = await call(url, 'GET', fdPath('tables'), undefined, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    assert.equal(res.json.kind, 'Table');
    assert.deepEqual(res.json.rows[0].cells.slice(0, 3), ['printed', 'RUNNING', 'STABLE']);
    assert.match(res.json.rows[0].cells[3], /^\d+s$/);
  });

  it('prints ages as kubectl does', () => {
    const s = 1000;
    const cases: [number, string][] = [
      [59 * s, '59s'],
      [119 * s, '119s'],
      [125 * s, '2m5s'],
      [600 * s, '10m'],
      [3 * 3600 * s + 120 * s, '3h2m'],
      [10 * 3600 * s, '10h'],
      [3 * 86400 * s + 3600 * s, '3d1h'],
      [30 * 86400 * s, '30d'],
      [3 * 365 * 86400 * s, '3y'],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `${ms} ms`);
  });

  it('works with @kubernetes/client-node from the generated kubeconfig', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const api = kc.makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({
      group: 'flink.apache.org',
      version: 'v1beta1',
      namespace: 'client-node',
      plural: 'flinkdeployments',
      body: flinkDeployment('from-client'),
    })) as { metadata: { name: string; generation: number } };
    assert.equal(created.metadata.generation, 1);
    const list = (await api.listNamespacedCustomObject({
      group: 'flink.apache.org',
      version: 'v1beta1',
      namespace: 'client-node',
      plural: 'flinkdeployments',
    })) as {
      items: { metadata: { name: string } }[];
    };
    assert.deepEqual(
      list.items.map((i) => i.metadata.name),
      ['from-client'],
    );
    await assert.rejects(
      api.getNamespacedCustomObject({
        group: 'flink.apache.org',
        version: 'v1beta1',
        namespace: 'client-node',
        plural: 'flinkdeployments',
        name: 'missing',
      }),
      (err: { code?: number; body?: string }) =>
        err.code === 404 && JSON.parse(String(err.body)).reason === 'NotFound',
    );
  });
});
