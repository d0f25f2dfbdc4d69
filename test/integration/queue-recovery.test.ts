// The recovery sweep repairs what a crash between two Redis calls leaves behind: a claimed but never
// added flow, a finished owner whose release was lost, a free deployment with pending transitions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/connection.ts';
import { enqueueTransition } from '../../src/queue/enqueue.ts';
import { TransitionQueue } from '../../src/queue/transition-queue.ts';
import { type StepWorkers, startStepWorkers } from '../../src/queue/worker-host.ts';
import type { TestRedis } from '../helpers/redis-server.ts';
import { sha, startOwnRedis, upgradeInput, waitUntil } from './queue-fixtures.ts';
import { readRecords, recordingHandlers } from './queue-test-handlers.ts';

describe('queue recovery sweep', () => {
  let server: TestRedis;
  let redis: Redis;
  let producer: TransitionQueue;
  let handlers: ReturnType<typeof recordingHandlers>;
  let host: StepWorkers | null = null;

  before(async () => {
    server = await startOwnRedis();
    redis = connectRedis(server.url);
    producer = new TransitionQueue({ redisUrl: server.url });
    handlers = recordingHandlers(server.url);
  });

  after(async () => {
    await host?.close();
    await producer?.close();
    handlers?.close();
    redis?.disconnect();
    await server?.stop();
  });

  const done = (id: string) => async () => (await producer.locks.record(id))?.state === 'done';

  it('re-enqueueing a claimed-but-unadded transition adds its flow (the poller retrying after a crash)', async () => {
    const input = upgradeInput(sha(0x52), 'rec', 'reenqueue', ['resume']);
    const built = producer.build(input);
    assert.ok(built);
    await producer.locks.claim({
      transitionId: built.transitionId,
      deployment: 'rec/reenqueue',
      flow: JSON.stringify(built.flow),
      lastJobId: built.lastJobId,
      commit: input.commit,
      supersede: false,
    });
    assert.equal(await producer.queue.getJob(built.lastJobId), undefined);
    // no worker host runs yet, so only this call can add the flow
    const again = await enqueueTransition(producer, input);
    assert.equal(again.outcome, 'known');
    assert.equal(await producer.queue.getJobState(built.lastJobId), 'waiting');
    assert.equal((await producer.locks.record(built.transitionId))?.added, true);
  });

  it('a producer that is closing adds no flow and does not mark the transition added (a sweep adds it)', async () => {
    const closing = new TransitionQueue({ redisUrl: server.url });
    const input = upgradeInput(sha(0x57), 'rec', 'closing', ['resume']);
    const built = closing.build(input);
    assert.ok(built);
    await closing.flows.close();
    await assert.rejects(enqueueTransition(closing, input), /flow producer is closing/);
    await closing.close();
    const record = await producer.locks.record(built.transitionId);
    assert.equal(record?.state, 'running');
    assert.equal(record?.added, false, 'a flow that was never added must not be marked added');
    assert.equal(await producer.queue.getJob(built.lastJobId), undefined);
    // what the sweep does for it: add the flow
    assert.deepEqual(await producer.sweep(), { added: 1, released: 0, started: 0 });
    assert.equal(await producer.queue.getJobState(built.lastJobId), 'waiting');
  });

  it('adds the flow of a transition that was claimed but whose producer died before adding it', async () => {
    const input = upgradeInput(sha(0x51), 'rec', 'claimed');
    const built = producer.build(input);
    assert.ok(built);
    // what enqueueTransition does up to the crash: the claim, without flows.add
    const claim = await producer.locks.claim({
      transitionId: built.transitionId,
      deployment: 'rec/claimed',
      flow: JSON.stringify(built.flow),
      lastJobId: built.lastJobId,
      commit: input.commit,
      supersede: false,
    });
    assert.equal(claim.outcome, 'dispatch');
    assert.equal(await producer.queue.getJob(built.jobIds[0]), undefined);
    // the worker host's start-up sweep finds it
    host = await startStepWorkers({ redisUrl: server.url, handlers, sweepIntervalMs: 500 });
    await waitUntil('the claimed transition to run to the end', done(built.transitionId));
    const ends = (await readRecords(redis)).filter(
      (r) => r.transitionId === built.transitionId && r.phase === 'end',
    );
    assert.deepEqual(
      ends.map((r) => r.stepIndex),
      [0, 1, 2],
    );
  });

  it('releases a deployment whose owner finished but whose release was lost, and starts the next one', async () => {
    const first = await enqueueTransition(producer, upgradeInput(sha(0x53), 'rec', 'lost', ['upgrade']));
    await waitUntil('the first transition to finish', done(first.transitionId as string));
    // rewind to the moment after the last step completed but before the release ran
    await redis.set('flinkops:owner:rec/lost', first.transitionId as string);
    await redis.sadd('flinkops:deployments', 'rec/lost');
    await redis.hset(`flinkops:tx:${first.transitionId}`, 'state', 'running');
    const next = await enqueueTransition(producer, upgradeInput(sha(0x54), 'rec', 'lost', ['resume']));
    assert.equal(next.outcome, 'pending');
    await waitUntil('the sweep to release and start the next transition', done(next.transitionId as string));
    assert.equal((await producer.locks.record(first.transitionId as string))?.state, 'done');
    assert.equal(await producer.locks.owner('rec/lost'), null);
  });

  it('starts the oldest pending transition of a deployment that has no owner', async () => {
    const a = upgradeInput(sha(0x55), 'rec', 'orphan', ['suspend']);
    const b = upgradeInput(sha(0x56), 'rec', 'orphan', ['resume']);
    const blocker = 'zzzzzzzzzzzz_rec_orphan';
    await redis.set('flinkops:owner:rec/orphan', blocker);
    const ra = await enqueueTransition(producer, a);
    const rb = await enqueueTransition(producer, b);
    assert.deepEqual([ra.outcome, rb.outcome], ['pending', 'pending']);
    // the owner vanished without a release (e.g. its record expired): the sweep frees and hands on
    await waitUntil('both pending transitions to run in order', done(rb.transitionId as string));
    const order = (await readRecords(redis))
      .filter((r) => r.deployment === 'rec/orphan' && r.phase === 'end')
      .map((r) => r.action);
    assert.deepEqual(order, ['suspend', 'resume']);
  });

  it('cancels a pending transition so it never runs', async () => {
    const blockerInput = upgradeInput(sha(0x57), 'rec', 'cancel', ['upgrade']);
    const pendingInput = upgradeInput(sha(0x58), 'rec', 'cancel', ['resume']);
    await redis.set('flinkops:owner:rec/cancel', 'yyyyyyyyyyyy_rec_cancel');
    await redis.hset(
      'flinkops:tx:yyyyyyyyyyyy_rec_cancel',
      'state',
      'running',
      'deployment',
      'rec/cancel',
      'added',
      '1',
      'lastJobId',
      'none',
      'flow',
      '{}',
    );
    const blocked = await enqueueTransition(producer, blockerInput);
    const pending = await enqueueTransition(producer, pendingInput);
    assert.deepEqual(await producer.cancel(pending.transitionId as string), {
      cancelled: true,
      state: 'cancelled',
    });
    assert.deepEqual(
      (await producer.deploymentStatus('rec', 'cancel')).pending.map((p) => p.transitionId),
      [blocked.transitionId],
    );
    await waitUntil('the remaining transition to finish', done(blocked.transitionId as string));
    const ran = (await readRecords(redis))
      .filter((r) => r.deployment === 'rec/cancel')
      .map((r) => r.transitionId);
    assert.ok(!ran.includes(pending.transitionId as string), 'the cancelled transition ran');
  });
});
