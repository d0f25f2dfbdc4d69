// Watches on the embedded API over real HTTP: replay from a resourceVersion, initial ADDED events, the
// 410 a client must answer with a relist, timeoutSeconds, bookmarks, selectors, and Table events for kubectl.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { call, fdPath, flinkDeployment, WatchStream } from './sim-api-http.ts';

let cluster: EmbeddedCluster;
let url: string;
const streams: WatchStream[] = [];

function watch(path: string, headers: Record<string, string> = {}): WatchStream {
  const stream = new WatchStream(url + path, headers);
  streams.push(stream);
  return stream;
}

before(async () => {
  cluster = await startEmbeddedCluster({ simulator: false, bookmarkIntervalMs: 100 });
  url = cluster.url;
});
after(async () => {
  for (const s of streams) s.close();
  await cluster?.stop();
});

describe('watch', () => {
  it('replays the changes after a resourceVersion, then streams new ones', async () => {
    const first = await call(url, 'POST', fdPath('w1'), flinkDeployment('one'));
    const from = first.json.metadata.resourceVersion;
    await call(
      url,
      'PATCH',
      fdPath('w1', 'one'),
      { spec: { job: { parallelism: 3 } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await call(url, 'POST', fdPath('w1'), flinkDeployment('two'));
    const stream = watch(`${fdPath('w1')}?watch=true&resourceVersion=${from}`);
    await stream.waitForEvents(2);
    assert.deepEqual(
      stream.events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['MODIFIED', 'one'],
        ['ADDED', 'two'],
      ],
    );
    await call(url, 'DELETE', fdPath('w1', 'two'));
    await stream.waitForEvents(3);
    assert.equal(stream.events[2].type, 'DELETED');
    assert.equal(stream.events[2].object.metadata.name, 'two');
    const versions = stream.events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.deepEqual(
      [...versions].sort((a, b) => a - b),
      versions,
      'events arrive in resourceVersion order',
    );
    stream.close();
  });

  it('starts with ADDED for every current object when no resourceVersion is given (watch=1)', async () => {
    await call(url, 'POST', fdPath('w2'), flinkDeployment('a'));
    await call(url, 'POST', fdPath('w2'), flinkDeployment('b'));
    const stream = watch(`${fdPath('w2')}?watch=1`);
    await stream.waitForEvents(2);
    assert.deepEqual(
      stream.events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'a'],
        ['ADDED', 'b'],
      ],
    );
    await call(url, 'POST', fdPath('w2'), flinkDeployment('c'));
    await stream.waitForEvents(3);
    assert.equal(stream.events[2].object.metadata.name, 'c');
    stream.close();
  });

  it('sends an ERROR event with a 410 Status when the resourceVersion is too old', async () => {
    const created = await call(url, 'POST', fdPath('w3'), flinkDeployment('old'));
    await call(
      url,
      'PATCH',
      fdPath('w3', 'old'),
      { metadata: { labels: { x: 'y' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    cluster.store.compact();
    const stream = watch(
      `${fdPath('w3')}?watch=true&resourceVersion=${created.json.metadata.resourceVersion}`,
    );
    await stream.waitForEvents(1);
    await stream.waitForEnd();
    assert.equal(stream.status, 200);
    const [event] = stream.events;
    assert.equal(event.type, 'ERROR');
    assert.equal(event.object.kind, 'Status');
    assert.equal(event.object.code, 410);
    assert.equal(event.object.reason, 'Expired');
    assert.match(event.object.message, /too old resource version/);
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const stream = watch(
      `${fdPath('w4')}?watch=true&timeoutSeconds=1&resourceVersion=${cluster.store.resourceVersion}`,
    );
    await stream.waitForEnd(15_000);
    assert.equal(stream.status, 200);
    assert.deepEqual(stream.events, []);
  });

  it('sends BOOKMARK events when allowed', async () => {
    const stream = watch(
      `${fdPath('w5')}?watch=true&allowWatchBookmarks=true&resourceVersion=${cluster.store.resourceVersion}`,
    );
    await stream.waitForEvents(1);
    assert.equal(stream.events[0].type, 'BOOKMARK');
    assert.equal(stream.events[0].object.kind, 'FlinkDeployment');
    assert.ok(Number(stream.events[0].object.metadata.resourceVersion) > 0);
    stream.close();
  });

  it('filters by namespace and selectors, and watches cluster-wide', async () => {
    const from = cluster.store.resourceVersion;
    const named = watch(
      `${fdPath('w6')}?watch=true&resourceVersion=${from}&fieldSelector=metadata.name%3Dkeep`,
    );
    const labelled = watch(`${fdPath('w6')}?watch=true&resourceVersion=${from}&labelSelector=team%3Dblue`);
    const everywhere = watch(
      `/apis/flink.apache.org/v1beta1/flinkdeployments?watch=true&resourceVersion=${from}`,
    );
    await call(url, 'POST', fdPath('w6'), flinkDeployment('skip', { labels: { team: 'blue' } }));
    await call(url, 'POST', fdPath('w6'), flinkDeployment('keep'));
    await call(url, 'POST', fdPath('w6-other'), flinkDeployment('keep'));
    await named.waitForEvents(1);
    await labelled.waitForEvents(1);
    await everywhere.waitForEvents(3);
    // a later event proves the filtered streams had the chance to see the others
    await call(
      url,
      'PATCH',
      fdPath('w6', 'keep'),
      { metadata: { labels: { team: 'blue' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await named.waitForEvents(2);
    await labelled.waitForEvents(2);
    assert.deepEqual(
      named.events.map((e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`),
      ['ADDED w6/keep', 'MODIFIED w6/keep'],
    );
    // an object that starts matching the label selector is ADDED for this watch
    assert.deepEqual(
      labelled.events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED skip', 'ADDED keep'],
    );
    assert.deepEqual(
      everywhere.events.slice(0, 3).map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`),
      ['w6/skip', 'w6/keep', 'w6-other/keep'],
    );
    for (const s of [named, labelled, everywhere]) s.close();
  });

  it('sends DELETED when an object stops matching the label selector', async () => {
    const from = cluster.store.resourceVersion;
    const live = watch(`${fdPath('w9')}?watch=true&resourceVersion=${from}&labelSelector=team%3Dred`);
    await call(url, 'POST', fdPath('w9'), flinkDeployment('moves', { labels: { team: 'red' } }));
    await call(
      url,
      'PATCH',
      fdPath('w9', 'moves'),
      { spec: { job: { parallelism: 3 } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await call(
      url,
      'PATCH',
      fdPath('w9', 'moves'),
      { metadata: { labels: { team: 'green' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await call(
      url,
      'PATCH',
      fdPath('w9', 'moves'),
      { spec: { job: { parallelism: 4 } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await call(url, 'POST', fdPath('w9'), flinkDeployment('marker', { labels: { team: 'red' } }));
    await live.waitForEvents(4);
    const expected = ['ADDED moves', 'MODIFIED moves', 'DELETED moves', 'ADDED marker'];
    assert.deepEqual(
      live.events.map((e) => `${e.type} ${e.object.metadata.name}`),
      expected,
    );
    live.close();
  });

  it('sends each event as a one-row Table when kubectl asks for tables', async () => {
    const stream = watch(`${fdPath('w7')}?watch=true&resourceVersion=${cluster.store.resourceVersion}`, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    await call(url, 'POST', fdPath('w7'), flinkDeployment('tabled'));
    await stream.waitForEvents(1);
    const table = stream.events[0].object;
    assert.equal(table.kind, 'Table');
    assert.deepEqual(
      table.columnDefinitions.map((c: { name: string }) => c.name),
      ['Name', 'Job Status', 'Lifecycle State', 'Age'],
    );
    assert.equal(table.rows[0].cells[0], 'tabled');
    assert.equal(table.rows[0].object.kind, 'PartialObjectMetadata');
    stream.close();
  });

  it('ends open watches when the cluster stops (clients must re-watch)', async () => {
    const other = await startEmbeddedCluster({ simulator: false });
    const stream = new WatchStream(`${other.url}${fdPath('w8')}?watch=true`);
    streams.push(stream);
    await call(other.url, 'POST', fdPath('w8'), flinkDeployment('x'));
    await stream.waitForEvents(1);
    await other.stop();
    await stream.waitForEnd();
    assert.equal(stream.ended, true);
  });
});
