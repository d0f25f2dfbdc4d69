// startEmbeddedCluster with the operator simulator: the truth endpoints report the simulated job, and
// --state carries objects, resourceVersions and the simulator's storage across a restart.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { call, fdPath, flinkDeployment } from './sim-api-http.ts';

const temp = makeTempDir('flinkops-sim-cluster-');
const running: EmbeddedCluster[] = [];
after(async () => {
  for (const c of running) await c.stop();
  temp.cleanup();
});

async function start(options: Parameters<typeof startEmbeddedCluster>[0]): Promise<EmbeddedCluster> {
  const cluster = await startEmbeddedCluster(options);
  running.push(cluster);
  return cluster;
}

function statefulDeployment(name: string) {
  const body = flinkDeployment(name) as ReturnType<typeof flinkDeployment> & {
    spec: Record<string, unknown>;
  };
  body.spec.flinkConfiguration = {
    'state.checkpoints.dir': 'file:///flink-data/checkpoints',
    'state.savepoints.dir': 'file:///flink-data/savepoints',
    'execution.checkpointing.interval': '10s',
  };
  return body;
}

/** Polls until the predicate holds (bounded by count and time). */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('embedded cluster with the operator simulator', () => {
  it('serves the true state of a running job at /sim/v1/namespaces/<ns>/jobs/<name>', async () => {
    const cluster = await start({ speed: 200 });
    assert.equal((await call(cluster.url, 'POST', fdPath('truth'), statefulDeployment('job'))).status, 201);
    const stable = await until(
      'the deployment to become STABLE',
      async () => (await call(cluster.url, 'GET', fdPath('truth', 'job'))).json,
      (o) => o.status?.lifecycleState === 'STABLE',
    );
    assert.equal(stable.status.jobStatus.state, 'RUNNING');
    const job = await until(
      'the job offset to grow',
      async () => (await call(cluster.url, 'GET', '/sim/v1/namespaces/truth/jobs/job')).json,
      (j) => j.running === true && j.offset > 0,
    );
    assert.equal(job.restoredFrom.kind, 'none');
    assert.ok(Array.isArray(job.checkpoints) && Array.isArray(job.savepoints));
    assert.equal((await call(cluster.url, 'GET', '/sim/v1/namespaces/truth/jobs/other')).status, 404);
    const storage = (await call(cluster.url, 'GET', '/sim/v1/storage')).json;
    assert.ok(Array.isArray(storage.items));
  });

  it('persists objects and simulator state to --state and restores them on start', async () => {
    const statePath = join(temp.dir, 'state', 'sim.json');
    const kubeconfigOut = join(temp.dir, 'kubeconfig');
    const first = await start({ speed: 200, statePath, kubeconfigOut, saveIntervalMs: 100 });
    assert.equal(readFileSync(kubeconfigOut, 'utf8'), first.kubeconfig);
    assert.match(first.kubeconfig, new RegExp(`server: ${first.url}`));
    await call(first.url, 'POST', fdPath('persist'), statefulDeployment('kept'));
    await until(
      'a checkpoint in storage',
      async () => (await call(first.url, 'GET', '/sim/v1/storage')).json.items,
      (items: { name: string }[]) => items.some((i) => i.name === 'kept'),
    );
    await until(
      'the periodic save',
      async () => existsSync(statePath),
      (x) => x,
      10_000,
    );
    await first.stop();
    const saved = JSON.parse(readFileSync(statePath, 'utf8'));
    assert.equal(saved.version, 1);
    assert.ok(
      saved.store.objects.some(
        (o: { object: { metadata: { name: string } } }) => o.object.metadata.name === 'kept',
      ),
    );
    const rvBefore = saved.store.resourceVersion;
    const storageBefore = saved.simulator;
    assert.ok(storageBefore, 'the simulator state is saved');

    const second = await start({ speed: 200, statePath });
    const kept = await call(second.url, 'GET', fdPath('persist', 'kept'));
    assert.equal(kept.status, 200);
    const storage = (await call(second.url, 'GET', '/sim/v1/storage')).json.items as {
      name: string;
      kind: string;
    }[];
    assert.ok(
      storage.some((i) => i.name === 'kept' && i.kind === 'checkpoint'),
      'storage survives the restart',
    );
    const created = await call(second.url, 'POST', fdPath('persist'), statefulDeployment('after-restart'));
    assert.ok(Number(created.json.metadata.resourceVersion) > rvBefore, 'resourceVersions keep increasing');
    // a watch from a version before the restart cannot be served from history: 410, so clients relist
    const res = await fetch(
      `${second.url}${fdPath('persist')}?watch=true&timeoutSeconds=5&resourceVersion=1`,
      {
        signal: AbortSignal.timeout(15_000),
      },
    );
    const firstLine = (await res.text()).split('\n')[0];
    assert.equal(JSON.parse(firstLine).object.code, 410);
  });

  it('refuses a state file that is not one', async () => {
    const bogus = join(temp.dir, 'bogus.json');
    await import('node:fs').then((fs) => fs.writeFileSync(bogus, '{"hello": 1}'));
    await assert.rejects(
      startEmbeddedCluster({ simulator: false, statePath: bogus }),
      /not a flinkops sim state file/,
    );
  });
});
