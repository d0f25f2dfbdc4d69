// Crashes in the middle of a flow: Redis killed -9 and restarted from its AOF, and a worker process
// killed -9 mid-step (its step stalls and another process runs it again; the flow still completes).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { readRecords } from './queue-test-handlers.ts';

// fast crash detection: a dead worker's lock expires after 2 s, checked every second
const FAST_STALL = ['--lock-duration', '2000', '--stalled-interval', '1000', '--sweep-interval', '1000'];

describe('flows survive crashes', () => {
  let server: TestRedis;
  let redis: Redis;
  let queue: TransitionQueue;
  const workers: WorkerProcess[] = [];

  before(async () => {
    server = await startOwnRedis();
    redis = connectRedis(server.url);
    redis.on('error', () => {});
    queue = new TransitionQueue({ redisUrl: server.url });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  after(async () => {
    await queue?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('completes a flow when Redis is killed -9 and restarted (AOF) in the middle of it', {
    timeout: 180_000,
  }, async () => {
    workers.push(await spawnWorker(server.url, { stepMs: 700, args: FAST_STALL }));
    const result = await enqueueTransition(queue, upgradeInput(sha(0x31), 'crash', 'redis'));
    const [, middle] = result.jobIds;
    await waitUntil('the middle step to start', async () =>
      (await readRecords(redis)).some((r) => r.jobId === middle && r.phase === 'start'),
    );
    await server.kill();
    await sleep(300);
    await server.spawn();
    await waitUntil(
      'the transition to be done after the restart',
      async () => (await queue.locks.record(result.transitionId as string))?.state === 'done',
      120_000,
      200,
    );
    const ends = (await readRecords(redis)).filter(
      (r) => r.transitionId === result.transitionId && r.phase === 'end',
    );
    // every step ended, in order (a step may have run again if its completion was lost with Redis)
    const firstEnds = [...new Map(ends.map((r) => [r.jobId, r.stepIndex])).values()];
    assert.deepEqual(firstEnds, [0, 1, 2]);
    assert.equal(await queue.queue.getJobState(result.jobIds[2]), 'completed');
    assert.equal(await queue.locks.owner('crash/redis'), null);
  });

  it('finishes a step on another worker process after the one running it was killed -9', {
    timeout: 180_000,
  }, async () => {
    const a = await spawnWorker(server.url, { stepMs: 2500, args: FAST_STALL });
    workers.push(a);
    const result = await enqueueTransition(
      queue,
      upgradeInput(sha(0x32), 'crash', 'worker', ['savepoint-suspend', 'upgrade']),
    );
    const [first, second] = result.jobIds;
    await waitUntil('the first step to start on worker A', async () =>
      (await readRecords(redis)).some(
        (r) => r.jobId === first && r.phase === 'start' && r.pid === a.child.pid,
      ),
    );
    await a.kill();
    const b = await spawnWorker(server.url, { stepMs: 2500, args: FAST_STALL });
    workers.push(b);
    await waitUntil(
      'the transition to be done on worker B',
      async () => (await queue.locks.record(result.transitionId as string))?.state === 'done',
      120_000,
      200,
    );
    const records = (await readRecords(redis)).filter((r) => r.transitionId === result.transitionId);
    assert.deepEqual(
      records.map(
        (r) =>
          `${r.phase} ${r.jobId === first ? 'first' : 'second'} ${r.pid === a.child.pid ? 'A' : r.pid === b.child.pid ? 'B' : '?'}`,
      ),
      ['start first A', 'start first B', 'end first B', 'start second B', 'end second B'],
    );
    const job = await queue.queue.getJob(second);
    assert.equal(await job?.getState(), 'completed');
  });
});
