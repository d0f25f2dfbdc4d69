// The cluster client against the embedded Kubernetes API over real HTTP on 127.0.0.1 (API only, no
// operator simulator, so every write in these tests is ours): CRUD, typed errors, optimistic concurrency,
// retries under injected 500s and 409s, and waitFor surviving dropped watches and 410 Gone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { createClusterClient, type KubeClusterClient } from '../../src/cluster/client.ts';
import { untilGone } from '../../src/cluster/predicates.ts';
import { ClusterError } from '../../src/cluster/types.ts';
import { WaitAbandonedError } from '../../src/cluster/wait.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const NS = 'client-test';
const FAST = { attempts: 20, baseDelayMs: 5, maxDelayMs: 50 };

function deployment(name: string, extra: Partial<FlinkDeployment['spec']> = {}): FlinkDeployment {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace: NS },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: 'flink',
      jobManager: { resource: { memory: '1024m', cpu: 1 } },
      taskManager: { resource: { memory: '1024m', cpu: 1 } },
      job: {
        jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar',
        parallelism: 1,
        upgradeMode: 'savepoint',
        state: 'running',
      },
      ...extra,
    },
  };
}

/** A transparent HTTP relay on 127.0.0.1 that counts watch requests passing through it. */
async function startCountingRelay(target: string) {
  let watches = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    if (req.url?.includes('watch=true')) watches++;
    const upstream = httpRequest(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('error', () => res.destroy());
        up.on('aborted', () => res.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    watchRequests: () => watches,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('cluster client against the embedded API', () => {
  let cluster: EmbeddedCluster;
  let client: KubeClusterClient;

  before(async () => {
    cluster = await startEmbeddedCluster({ host: '127.0.0.1', port: 0, simulator: false });
    client = createClusterClient({ kubeconfigText: cluster.kubeconfig, retry: FAST, conflictRetry: FAST });
  });
  after(async () => {
    await cluster?.stop();
  });
  beforeEach(() => {
    cluster.setApiFaults({});
  });

  it('pings the API server', async () => {
    await client.ping();
    assert.match(client.server, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates, gets and refuses a second create with AlreadyExists', async () => {
    const created = await client.create(deployment('alpha'));
    assert.equal(created.metadata.name, 'alpha');
    assert.ok(created.metadata.uid);
    assert.equal(created.metadata.generation, 1);
    const got = await client.get(NS, 'alpha');
    assert.equal(got?.metadata.uid, created.metadata.uid);
    assert.equal(got?.spec.image, 'flink:1.20');
    const err = await rejection(client.create(deployment('alpha')));
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'AlreadyExists');
    assert.equal(err.details.namespace, NS);
    assert.equal(err.details.name, 'alpha');
    assert.match(err.message, /client-test\/alpha/);
  });

  it('returns null for an object that does not exist', async () => {
    assert.equal(await client.get(NS, 'nope'), null);
  });

  it('names the field path of an invalid object', async () => {
    const bad = deployment('invalid');
    bad.spec.job = { ...bad.spec.job, upgradeMode: 'sideways' as never };
    const err = await rejection(client.create(bad));
    assert.ok(err instanceof ClusterError, String(err));
    assert.equal(err.kind, 'Invalid');
    assert.equal(err.details.status, 422);
    const fields = (err.details.causes ?? []).map((c) => c.field ?? '').join(' ') + err.message;
    assert.match(fields, /spec\.job\.upgradeMode/);
    assert.match(err.message, /client-test\/invalid/);
  });

  it('merge-patches spec fields with the resourceVersion as precondition, and skips a null patch', async () => {
    await client.create(deployment('patchme'));
    const before = await client.get(NS, 'patchme');
    const patched = await client.patch(NS, 'patchme', (current) => {
      assert.equal(current.metadata.resourceVersion, before?.metadata.resourceVersion);
      return { spec: { image: 'flink:1.20.1', job: { state: 'suspended' } } };
    });
    assert.equal(patched.spec.image, 'flink:1.20.1');
    assert.equal(patched.spec.job?.state, 'suspended');
    assert.equal(patched.spec.job?.upgradeMode, 'savepoint', 'a merge patch keeps sibling fields');
    assert.equal(patched.metadata.generation, 2);
    const unchanged = await client.patch(NS, 'patchme', () => null);
    assert.equal(unchanged.metadata.resourceVersion, patched.metadata.resourceVersion);
  });

  it('patching a missing object is NotFound', async () => {
    const err = await rejection(client.patch(NS, 'ghost', () => ({ spec: { image: 'x' } })));
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'NotFound');
    assert.match(err.message, /client-test\/ghost/);
  });

  it('loses no update when two writers patch the same object concurrently (409 -> re-read -> rebuild)', async () => {
    await client.create(deployment('counter'));
    const other = createClusterClient({
      kubeconfigText: cluster.kubeconfig,
      retry: FAST,
      conflictRetry: FAST,
    });
    let builds = 0;
    const bump = (c: KubeClusterClient) =>
      c.patch(NS, 'counter', (current) => {
        builds++;
        const n = Number(current.metadata.annotations?.['test/count'] ?? '0');
        return { metadata: { annotations: { 'test/count': String(n + 1) } } };
      });
    const writer = async (c: KubeClusterClient) => {
      for (let i = 0; i < 10; i++) await bump(c);
    };
    await Promise.all([writer(client), writer(other), writer(client)]);
    const final = await client.get(NS, 'counter');
    assert.equal(final?.metadata.annotations?.['test/count'], '30');
    assert.ok(builds >= 30);
  });

  it('retries injected 409 Conflicts by re-reading, and reports Conflict when they never stop', async () => {
    await client.create(deployment('conflicted'));
    cluster.setApiFaults({ conflictRate: 0.5 });
    let builds = 0;
    for (let i = 1; i <= 20; i++) {
      await client.patch(NS, 'conflicted', () => {
        builds++;
        return { metadata: { annotations: { 'test/round': String(i) } } };
      });
    }
    assert.ok(builds > 20, `expected some conflicts to force a rebuild (builds=${builds})`);
    cluster.setApiFaults({});
    assert.equal((await client.get(NS, 'conflicted'))?.metadata.annotations?.['test/round'], '20');

    cluster.setApiFaults({ conflictRate: 1 });
    const stubborn = createClusterClient({
      kubeconfigText: cluster.kubeconfig,
      retry: FAST,
      conflictRetry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    let tries = 0;
    const err = await rejection(
      stubborn.patch(NS, 'conflicted', () => {
        tries++;
        return { spec: { image: 'never' } };
      }),
    );
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'Conflict');
    assert.equal(tries, 3);
    assert.equal(err.transient, true);
  });

  it('retries injected 500s, and reports Unavailable with the object when they never stop', async () => {
    cluster.setApiFaults({ errorRate: 0.5 });
    await client.create(deployment('flaky'));
    for (let i = 0; i < 10; i++) {
      assert.equal((await client.get(NS, 'flaky'))?.metadata.name, 'flaky');
    }
    await client.patch(NS, 'flaky', () => ({ spec: { image: 'flink:1.20.2' } }));
    cluster.setApiFaults({});
    assert.equal((await client.get(NS, 'flaky'))?.spec.image, 'flink:1.20.2');

    cluster.setApiFaults({ errorRate: 1 });
    const impatient = createClusterClient({
      kubeconfigText: cluster.kubeconfig,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const err = await rejection(impatient.get(NS, 'flaky'));
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'Unavailable');
    assert.equal(err.details.status, 500);
    assert.match(err.message, /client-test\/flaky.*injected failure/);
  });

  it('reports an unreachable server as Unavailable', async () => {
    const dead = createClusterClient({
      kubeconfigText: cluster.kubeconfig.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1'),
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const err = await rejection(dead.ping());
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'Unavailable');
    assert.match(err.message, /unreachable/);
  });

  it('deletes (twice is fine) and waitFor sees the object gone', async () => {
    await client.create(deployment('doomed'));
    const waiting = client.waitFor(NS, 'doomed', untilGone(), { timeoutMs: 20_000 });
    await client.delete(NS, 'doomed');
    await client.delete(NS, 'doomed');
    assert.equal(await waiting, null);
    assert.equal(await client.get(NS, 'doomed'), null);
  });

  it('lists the snapshots of one deployment, by spec.jobReference or by label', async () => {
    const snapshot = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkStateSnapshot',
      metadata: { name, namespace: NS, ...(labels ? { labels } : {}) },
      spec: { savepoint: { path: `file:///sp/${name}`, alreadyExists: true }, backoffLimit: 0, ...spec },
    });
    const post = async (body: unknown) => {
      const res = await fetch(
        `${cluster.url}/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkstatesnapshots`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      );
      assert.equal(res.status, 201, await res.text());
    };
    await post(snapshot('alpha-sp-1', { jobReference: { kind: 'FlinkDeployment', name: 'alpha' } }));
    await post(snapshot('beta-sp-1', { jobReference: { kind: 'FlinkDeployment', name: 'beta' } }));
    await post(
      snapshot('alpha-sp-2', {}, { 'job-reference.name': 'alpha', 'job-reference.kind': 'FlinkDeployment' }),
    );
    const names = (await client.listSnapshots(NS, 'alpha')).map((s) => s.metadata.name).sort();
    assert.deepEqual(names, ['alpha-sp-1', 'alpha-sp-2']);
    assert.deepEqual(
      (await client.listSnapshots(NS, 'beta')).map((s) => s.spec.savepoint?.path),
      ['file:///sp/beta-sp-1'],
    );
    assert.deepEqual(await client.listSnapshots(NS, 'gamma'), []);
    assert.equal((await client.getSnapshot(NS, 'beta-sp-1'))?.spec.jobReference?.name, 'beta');
    assert.equal(await client.getSnapshot(NS, 'nope'), null);
  });

  it('lists the events about one FlinkDeployment, oldest first', async () => {
    const event = (name: string, object: string, reason: string, at: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: NS },
      involvedObject: {
        apiVersion: 'flink.apache.org/v1beta1',
        kind: 'FlinkDeployment',
        name: object,
        namespace: NS,
      },
      reason,
      message: `${reason} of ${object}`,
      type: reason === 'SavepointError' ? 'Warning' : 'Normal',
      count: 1,
      lastTimestamp: at,
      source: { component: 'test' },
    });
    const post = async (body: unknown) => {
      const res = await fetch(`${cluster.url}/api/v1/namespaces/${NS}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 201, await res.text());
    };
    await post(event('ev-2', 'evented', 'SavepointError', '2026-01-01T00:00:02Z'));
    await post(event('ev-1', 'evented', 'SpecChanged', '2026-01-01T00:00:01Z'));
    await post(event('ev-3', 'other', 'Submit', '2026-01-01T00:00:03Z'));
    const events = await client.listEvents(NS, 'evented');
    assert.deepEqual(
      events.map((e) => [e.reason, e.type, e.message]),
      [
        ['SpecChanged', 'Normal', 'SpecChanged of evented'],
        ['SavepointError', 'Warning', 'SavepointError of evented'],
      ],
    );
  });

  it('waitFor resolves through watches that are cut (re-watching from the last resourceVersion)', async () => {
    await client.create(deployment('dropped'));
    // Counts the watch requests the client makes, through a plain HTTP relay in front of the API.
    const relay = await startCountingRelay(cluster.url);
    try {
      const relayed = createClusterClient({
        kubeconfigText: cluster.kubeconfig.replace(cluster.url, relay.url),
        retry: FAST,
        conflictRetry: FAST,
      });
      // Every watch stream is cut right after its first event: five changes need several watches.
      cluster.setApiFaults({ dropWatchRate: 1 });
      const progress: string[] = [];
      let firstRead: () => void = () => {};
      const readDone = new Promise<void>((resolve) => {
        firstRead = resolve;
      });
      const waiting = relayed.waitFor(
        NS,
        'dropped',
        (obj) => obj?.metadata.annotations?.['test/step'] === '5',
        {
          timeoutMs: 30_000,
          onProgress: (m) => {
            progress.push(m);
            firstRead();
          },
        },
      );
      // Change the object only after the initial read, so the changes must arrive through watches.
      await readDone;
      for (let step = 1; step <= 5; step++) {
        await sleep(30);
        await client.patch(NS, 'dropped', () => ({
          metadata: { annotations: { 'test/step': String(step) } },
        }));
      }
      const done = await waiting;
      assert.equal(done?.metadata.annotations?.['test/step'], '5');
      assert.ok(
        relay.watchRequests() >= 2,
        `expected re-watches, saw ${relay.watchRequests()} watch request(s)`,
      );
      assert.ok(progress.length >= 1);
    } finally {
      cluster.setApiFaults({});
      await relay.close();
    }
  });

  it('waitFor relists after 410 Gone when its resourceVersion was compacted away', async () => {
    await client.create(deployment('compacted'));
    // Push the history past the object's own resourceVersion, then forget it.
    for (let i = 0; i < 5; i++) await client.create(deployment(`filler-${i}`));
    cluster.store.compact();
    const waiting = client.waitFor(
      NS,
      'compacted',
      (obj) => obj?.metadata.annotations?.['test/go'] === 'yes',
      {
        timeoutMs: 30_000,
      },
    );
    await sleep(200);
    await client.patch(NS, 'compacted', () => ({ metadata: { annotations: { 'test/go': 'yes' } } }));
    const done = await waiting;
    assert.equal(done?.metadata.annotations?.['test/go'], 'yes');
  });

  it('waitFor survives injected 500s on reads and watches', async () => {
    await client.create(deployment('shaky'));
    cluster.setApiFaults({ errorRate: 0.4 });
    const waiting = client.waitFor(NS, 'shaky', (obj) => obj?.spec.image === 'flink:2.0', {
      timeoutMs: 30_000,
    });
    await sleep(100);
    await client.patch(NS, 'shaky', () => ({ spec: { image: 'flink:2.0' } }));
    assert.equal((await waiting)?.spec.image, 'flink:2.0');
  });

  it('waitFor times out saying what it waited for and what it last saw', async () => {
    await client.create(deployment('patient'));
    const err = await rejection(
      client.waitFor(NS, 'patient', () => false, { timeoutMs: 500, waitingFor: 'lifecycle STABLE' }),
    );
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'Timeout');
    assert.match(err.message, /client-test\/patient to reach lifecycle STABLE/);
    assert.match(err.message, /last observed: generation 1, no status yet/);
  });

  it('waitFor rejects with the predicate reason, and when aborted', async () => {
    await client.create(deployment('doomed-wait'));
    const err = await rejection(
      client.waitFor(NS, 'doomed-wait', () => 'job FAILED: boom', { timeoutMs: 10_000 }),
    );
    assert.ok(err instanceof WaitAbandonedError);
    assert.match(err.message, /client-test\/doomed-wait: job FAILED: boom/);
    assert.equal(err.object?.metadata.name, 'doomed-wait');

    const controller = new AbortController();
    const waiting = client.waitFor(NS, 'doomed-wait', () => false, {
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    const aborted = await rejection(waiting);
    assert.equal((aborted as Error).message, 'shutting down');
  });
});

describe('where the client finds the cluster', () => {
  let cluster: EmbeddedCluster;
  let temp: { dir: string; cleanup: () => void };

  before(async () => {
    temp = makeTempDir('flinkops-kubeconfig-');
    cluster = await startEmbeddedCluster({
      host: '127.0.0.1',
      port: 0,
      simulator: false,
      kubeconfigOut: join(temp.dir, 'sim.kubeconfig'),
    });
  });
  after(async () => {
    await cluster?.stop();
    temp?.cleanup();
  });

  it('loads a kubeconfig file as kubectl would (plain http:// server, no extra flags)', async () => {
    const client = createClusterClient({ kubeconfigPath: join(temp.dir, 'sim.kubeconfig') });
    await client.ping();
    assert.equal(client.server, cluster.url);
  });

  it('selects a named context, and names the known ones when it is missing', async () => {
    const doc = parse(cluster.kubeconfig) as {
      clusters: { name: string; cluster: Record<string, unknown> }[];
      contexts: { name: string; context: Record<string, unknown> }[];
    };
    doc.clusters.push({ name: 'nowhere', cluster: { server: 'http://127.0.0.1:1' } });
    doc.contexts.push({ name: 'broken', context: { ...doc.contexts[0].context, cluster: 'nowhere' } });
    const path = join(temp.dir, 'two-contexts.kubeconfig');
    writeFileSync(path, stringify(doc));
    const good = createClusterClient({ kubeconfigPath: path, context: doc.contexts[0].name });
    await good.ping();
    const broken = createClusterClient({
      kubeconfigPath: path,
      context: 'broken',
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    assert.equal(broken.server, 'http://127.0.0.1:1');
    assert.throws(
      () => createClusterClient({ kubeconfigPath: path, context: 'staging' }),
      (err: unknown) =>
        err instanceof ClusterError &&
        err.kind === 'Invalid' &&
        /no context "staging".*broken/.test(err.message),
    );
  });

  it('refuses a missing kubeconfig file, and in-cluster config outside a pod, with the reason', () => {
    assert.throws(
      () => createClusterClient({ kubeconfigPath: join(temp.dir, 'absent') }),
      (err: unknown) =>
        err instanceof ClusterError && err.kind === 'Invalid' && err.message.includes('absent'),
    );
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST };
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      assert.throws(
        () => createClusterClient({ inCluster: true }),
        (err: unknown) =>
          err instanceof ClusterError &&
          /in-cluster service account.*KUBERNETES_SERVICE_HOST/.test(err.message),
      );
    } finally {
      if (saved.host !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved.host;
    }
  });
});
