// 100 deployments x 2 transitions on 2 worker processes: never two steps of one deployment at once,
// transitions of one deployment in enqueue order, different deployments in parallel.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/connection.ts';
import { enqueueTransition } from '../../src/queue/enqueue.ts';
import { TransitionQueue } from '../../src/queue/transition-queue.ts';
import type { TestRedis } from '../helpers/redis-server.ts';
import {
  sha,
  spawnWorker,
  startOwnRedis,
  upgradeInput,
  type WorkerProcess,
  waitUntil,
} from './queue-fixtures.ts';
import { readRecords, type StepRecord } from './queue-test-handlers.ts';

const DEPLOYMENTS = 100;

describe('per-deployment serialization across worker processes', () => {
  let server: TestRedis;
  let redis: Redis;
  let queue: TransitionQueue;
  const workers: WorkerProcess[] = [];

  before(async () => {
    server = await startOwnRedis();
    redis = connectRedis(server.url);
    queue = new TransitionQueue({ redisUrl: server.url });
    const spawned = await Promise.all(
      [0, 1].map(() =>
        spawnWorker(server.url, { stepMs: 3, args: ['--concurrency', '8', '--sweep-interval', '2000'] }),
      ),
    );
    workers.push(...spawned);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await queue?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('runs every transition, one deployment at a time, in enqueue order', { timeout: 300_000 }, async () => {
    const first = sha(0x100);
    const second = sha(0x200);
    const expectedOrder = new Map<string, string[]>();
    const enqueued: string[] = [];
    for (let i = 0; i < DEPLOYMENTS; i++) {
      const ns = `ns${i % 7}`;
      const name = `job-${i}`;
      const a = await enqueueTransition(queue, upgradeInput(first, ns, name));
      const b = await enqueueTransition(queue, upgradeInput(second, ns, name, ['savepoint', 'upgrade']));
      assert.equal(a.outcome, 'running');
      assert.equal(b.outcome, 'pending');
      enqueued.push(a.transitionId as string, b.transitionId as string);
      expectedOrder.set(`${ns}/${name}`, [...a.jobIds, ...b.jobIds]);
    }
    const total = DEPLOYMENTS * 5;
    await waitUntil(
      `all ${total} steps to end`,
      async () => (await readRecords(redis)).filter((r) => r.phase === 'end').length >= total,
      240_000,
      250,
    );
    await waitUntil('every transition to be done', async () => {
      const records = await Promise.all(enqueued.map((id) => queue.locks.record(id)));
      return records.every((r) => r?.state === 'done');
    });

    const records = await readRecords(redis);
    const byDeployment = new Map<string, StepRecord[]>();
    for (const r of records) byDeployment.set(r.deployment, [...(byDeployment.get(r.deployment) ?? []), r]);
    assert.equal(byDeployment.size, DEPLOYMENTS);
    for (const [deployment, list] of byDeployment) {
      // records of one deployment alternate start/end of the same job: never two steps at once
      const phases = list.map((r) => `${r.phase} ${r.jobId}`);
      const expected = (expectedOrder.get(deployment) ?? []).flatMap((id) => [`start ${id}`, `end ${id}`]);
      assert.deepEqual(phases, expected, `${deployment}: steps overlapped or ran out of order`);
      for (let i = 1; i < list.length; i++) {
        assert.ok(list[i].at >= list[i - 1].at, `${deployment}: record ${i} is earlier than the one before`);
      }
    }
    const pids = new Set(records.map((r) => r.pid));
    assert.equal(pids.size, 2, 'both worker processes ran steps');
    // different deployments did run in parallel: some step started while another deployment's step ran
    const sorted = [...records].sort((x, y) => x.at - y.at);
    let running = 0;
    let maxRunning = 0;
    for (const r of sorted) {
      running += r.phase === 'start' ? 1 : -1;
      maxRunning = Math.max(maxRunning, running);
    }
    assert.ok(maxRunning > 1, `steps of different deployments overlapped (max ${maxRunning} at once)`);
    assert.deepEqual(await queue.overview(), []);
  });
});
