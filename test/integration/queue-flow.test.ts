// A transition is one BullMQ flow: steps in order, idempotent enqueue, stop on a failed step, continue on retry.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/connection.ts';
import { enqueuePlan, enqueueTransition } from '../../src/queue/enqueue.ts';
import { TransitionEvents } from '../../src/queue/events.ts';
import { type StepWorkers, startStepWorkers } from '../../src/queue/worker-host.ts';
import type { TestRedis } from '../helpers/redis-server.ts';
import { sha, startOwnRedis, transition, upgradeInput, waitUntil } from './queue-fixtures.ts';
import { failKey, readRecords, recordingHandlers, transientKey } from './queue-test-handlers.ts';

describe('transitions as BullMQ flows', () => {
  let server: TestRedis;
  let redis: Redis;
  let host: StepWorkers;
  let handlers: ReturnType<typeof recordingHandlers>;
  const events = new TransitionEvents();
  const seen: string[] = [];

  before(async () => {
    server = await startOwnRedis();
    redis = connectRedis(server.url);
    handlers = recordingHandlers(server.url);
    for (const e of [
      'transition-queued',
      'transition-started',
      'step-started',
      'step-finished',
      'step-failed',
      'transition-finished',
      'transition-failed',
    ] as const) {
      events.on(e, (p) => seen.push(`${e} ${p.transitionId}${'stepIndex' in p ? ` ${p.stepIndex}` : ''}`));
    }
    host = await startStepWorkers({
      redisUrl: server.url,
      handlers,
      events,
      concurrency: 4,
      policy: { backoffMs: 50 },
    });
  });

  after(async () => {
    await host?.close();
    handlers?.close();
    redis?.disconnect();
    await server?.stop();
  });

  beforeEach(async () => {
    seen.length = 0;
  });

  it('runs the steps of a 3-step transition strictly in order, each once, and passes earlier results on', async () => {
    const result = await enqueueTransition(host.queue, upgradeInput(sha(1), 'team-a', 'orders'));
    assert.equal(result.outcome, 'running');
    assert.deepEqual(
      result.jobIds,
      [
        'aaaaaaaaaaaa_team-a_orders_0_savepoint-suspend',
        'aaaaaaaaaaaa_team-a_orders_1_upgrade',
        'aaaaaaaaaaaa_team-a_orders_2_resume',
      ].map((id) => id.replace('aaaaaaaaaaaa', sha(1).slice(0, 12))),
    );
    const top = await waitUntil('the resume step to complete', async () => {
      const job = await host.queue.queue.getJob(result.jobIds[2]);
      return job && (await job.getState()) === 'completed' ? job : null;
    });
    assert.equal(top.name, `team-a/orders resume @${sha(1).slice(0, 7)}`);
    assert.match(top.returnvalue.summary, /after savepoint-suspend,upgrade$/);
    const records = (await readRecords(redis)).filter((r) => r.transitionId === result.transitionId);
    assert.deepEqual(
      records.map((r) => `${r.phase} ${r.stepIndex} ${r.action}`),
      [
        'start 0 savepoint-suspend',
        'end 0 savepoint-suspend',
        'start 1 upgrade',
        'end 1 upgrade',
        'start 2 resume',
        'end 2 resume',
      ],
    );
    const status = await waitUntil('the deployment to be released', async () => {
      const s = await host.queue.deploymentStatus('team-a', 'orders');
      return s.running === null ? s : null;
    });
    assert.deepEqual(status.pending, []);
    const record = await host.queue.locks.record(result.transitionId as string);
    assert.equal(record?.state, 'done');
    await waitUntil('transition-finished event', async () =>
      seen.includes(`transition-finished ${result.transitionId}`),
    );
    assert.ok(seen.includes(`transition-started ${result.transitionId} 0`));
    assert.ok(seen.includes(`step-finished ${result.transitionId} 1`));
  });

  it('adds nothing when the same plan is enqueued twice (while running and after it finished)', async () => {
    const commit = sha(2);
    const plan = {
      base: sha(1),
      head: commit,
      transitions: [
        transition('team-b', 'clicks', ['suspend', 'upgrade']),
        transition('team-b', 'views', ['resume']),
      ],
      errors: [],
    };
    const resolve = () => ({ target: null, previous: null });
    const first = await enqueuePlan(host.queue, plan, resolve);
    const second = await enqueuePlan(host.queue, plan, resolve);
    assert.deepEqual(
      first.map((r) => r.outcome),
      ['running', 'running'],
    );
    assert.deepEqual(
      second.map((r) => r.outcome),
      ['known', 'known'],
    );
    await waitUntil('both transitions to finish', async () => {
      const states = await Promise.all(first.map((r) => host.queue.locks.record(r.transitionId as string)));
      return states.every((s) => s?.state === 'done');
    });
    const third = await enqueuePlan(host.queue, plan, resolve);
    assert.deepEqual(
      third.map((r) => [r.outcome, r.state]),
      [
        ['known', 'done'],
        ['known', 'done'],
      ],
    );
    const ids = new Set(first.map((r) => r.transitionId));
    const starts = (await readRecords(redis)).filter((r) => ids.has(r.transitionId) && r.phase === 'start');
    assert.equal(starts.length, 3, 'each of the 3 steps ran exactly once');
    const counts = await host.queue.queue.getJobCounts('completed', 'waiting', 'waiting-children', 'failed');
    assert.equal(counts.waiting + counts['waiting-children'] + counts.failed, 0);
  });

  it('enqueues nothing for a transition without steps', async () => {
    const result = await enqueueTransition(host.queue, upgradeInput(sha(3), 'team-c', 'idle', []));
    assert.equal(result.outcome, 'empty');
    assert.equal(result.transitionId, null);
    assert.equal(await host.queue.locks.owner('team-c/idle'), null);
  });

  it('retries transient errors with backoff without a human', async () => {
    const input = upgradeInput(sha(4), 'team-d', 'flaky', ['upgrade']);
    const jobId = host.queue.build(input)?.lastJobId as string;
    await redis.set(transientKey(jobId), '2');
    const result = await enqueueTransition(host.queue, input);
    await waitUntil(
      'the flaky step to complete',
      async () => (await host.queue.queue.getJobState(jobId)) === 'completed',
    );
    const starts = (await readRecords(redis)).filter((r) => r.jobId === jobId && r.phase === 'start');
    assert.equal(starts.length, 3, 'two failed attempts, then the success');
    assert.equal((await host.queue.locks.record(result.transitionId as string))?.state, 'done');
  });

  it('stops at a failed middle step, keeps the deployment, and continues to the end after a retry', async () => {
    const input = upgradeInput(sha(5), 'team-e', 'payments');
    const built = host.queue.build(input);
    assert.ok(built);
    const [first, middle, last] = built.jobIds;
    await redis.set(failKey(middle), '1');
    await enqueueTransition(host.queue, input);
    const failed = await waitUntil('the upgrade step to fail', async () => {
      const job = await host.queue.queue.getJob(middle);
      return job && (await job.getState()) === 'failed' ? job : null;
    });
    assert.match(failed.failedReason, /test-induced failure of upgrade/);
    assert.equal(failed.attemptsMade, 1, 'an UnrecoverableError is not retried automatically');
    await waitUntil('transition-failed event', async () =>
      seen.includes(`transition-failed ${built.transitionId} 1`),
    );
    assert.equal(await host.queue.queue.getJobState(first), 'completed');
    assert.equal(await host.queue.queue.getJobState(last), 'waiting-children');
    // a newer transition of the same deployment waits while the failed one owns it
    const newer = await enqueueTransition(host.queue, upgradeInput(sha(6), 'team-e', 'payments', ['resume']));
    assert.equal(newer.outcome, 'pending');
    assert.equal(newer.owner, built.transitionId);
    const status = await host.queue.deploymentStatus('team-e', 'payments');
    assert.equal(status.running?.transitionId, built.transitionId);
    assert.deepEqual(
      status.running?.steps.map((s) => s.state),
      ['completed', 'failed', 'waiting-children'],
    );
    assert.deepEqual(
      status.pending.map((p) => p.transitionId),
      [newer.transitionId],
    );

    await redis.del(failKey(middle));
    await failed.retry('failed');
    await waitUntil(
      'the newer transition to finish after the retried one',
      async () => (await host.queue.locks.record(newer.transitionId as string))?.state === 'done',
    );
    assert.equal(await host.queue.queue.getJobState(last), 'completed');
    const order = (await readRecords(redis))
      .filter((r) => r.deployment === 'team-e/payments' && r.phase === 'end')
      .map((r) => `${r.transitionId.slice(0, 12)} ${r.action}`);
    assert.deepEqual(order, [
      `${sha(5).slice(0, 12)} savepoint-suspend`,
      `${sha(5).slice(0, 12)} upgrade`,
      `${sha(5).slice(0, 12)} resume`,
      `${sha(6).slice(0, 12)} resume`,
    ]);
  });

  it('keeps one copy of the input per waiting transition, and still runs records holding a whole flow', async () => {
    // a waiting transition's record keeps the input once (the flow repeats the manifests per step)
    // the first transition fails and holds the deployment until retried, so the others must wait
    const runningInput = upgradeInput(sha(10), 'team-g', 'ledger', ['upgrade']);
    const failing = host.queue.build(runningInput)?.lastJobId as string;
    await redis.set(failKey(failing), '1');
    const running = await enqueueTransition(host.queue, runningInput);
    await waitUntil(
      'the step to fail',
      async () => (await host.queue.queue.getJobState(failing)) === 'failed',
    );
    const waitingInput = upgradeInput(sha(11), 'team-g', 'ledger', [
      'savepoint-suspend',
      'upgrade',
      'resume',
    ]);
    const waiting = await enqueueTransition(host.queue, waitingInput);
    assert.equal(waiting.outcome, 'pending');
    const stored = JSON.parse((await host.queue.locks.record(waiting.transitionId as string))?.flow ?? '{}');
    assert.deepEqual(Object.keys(stored), ['input']);
    assert.equal(stored.input.target.spec.image, waitingInput.target?.spec.image);
    // records written before that kept the built flow itself: they still run when their turn comes
    const legacyInput = upgradeInput(sha(12), 'team-g', 'ledger', ['resume']);
    const legacy = host.queue.build(legacyInput);
    assert.ok(legacy);
    await host.queue.locks.claim({
      transitionId: legacy.transitionId,
      deployment: 'team-g/ledger',
      flow: JSON.stringify(legacy.flow),
      lastJobId: legacy.lastJobId,
      commit: legacyInput.commit,
      supersede: false,
    });
    await redis.del(failKey(failing));
    await (await host.queue.queue.getJob(failing))?.retry();
    for (const id of [running.transitionId, waiting.transitionId, legacy.transitionId]) {
      await waitUntil(
        `${id} to finish`,
        async () => (await host.queue.locks.record(id as string))?.state === 'done',
      );
    }
    const ran = (await readRecords(redis))
      .filter((r) => r.deployment === 'team-g/ledger' && r.phase === 'end')
      .map((r) => `${r.transitionId} ${r.action}`);
    assert.deepEqual(ran, [
      `${running.transitionId} upgrade`,
      `${waiting.transitionId} savepoint-suspend`,
      `${waiting.transitionId} upgrade`,
      `${waiting.transitionId} resume`,
      `${legacy.transitionId} resume`,
    ]);
  });

  it('adds the flows of a burst of enqueues together, each caller told its own outcome', async () => {
    const inputs = Array.from({ length: 30 }, (_, i) =>
      upgradeInput(sha(100 + i), 'team-h', `burst-${i}`, ['savepoint-suspend', 'resume']),
    );
    const results = await Promise.all(inputs.map((input) => enqueueTransition(host.queue, input)));
    assert.deepEqual(
      results.map((r) => r.outcome),
      inputs.map(() => 'running'),
    );
    for (const r of results) {
      assert.equal((await host.queue.locks.record(r.transitionId as string))?.added, true);
      await waitUntil(
        `${r.transitionId} to finish`,
        async () => (await host.queue.locks.record(r.transitionId as string))?.state === 'done',
      );
    }
  });

  it('supersedes pending transitions (newest wins) and cancels a failed one, handing the deployment on', async () => {
    const input = upgradeInput(sha(7), 'team-f', 'search', ['upgrade']);
    const failing = host.queue.build(input)?.lastJobId as string;
    await redis.set(failKey(failing), '1');
    const owner = await enqueueTransition(host.queue, input);
    await waitUntil(
      'the step to fail',
      async () => (await host.queue.queue.getJobState(failing)) === 'failed',
    );
    const older = await enqueueTransition(host.queue, upgradeInput(sha(8), 'team-f', 'search', ['resume']));
    const newest = await enqueueTransition(host.queue, upgradeInput(sha(9), 'team-f', 'search', ['resume']), {
      supersede: true,
    });
    assert.deepEqual(newest.superseded, [older.transitionId]);
    assert.equal((await host.queue.locks.record(older.transitionId as string))?.state, 'superseded');
    await assert.rejects(host.queue.cancel('nope_x_y'), /no transition nope_x_y/);
    const cancelled = await host.queue.cancel(owner.transitionId as string);
    assert.deepEqual(cancelled, { cancelled: true, state: 'cancelled' });
    assert.equal(await host.queue.queue.getJob(failing), undefined, 'the failed flow was removed');
    await waitUntil(
      'the newest transition to finish',
      async () => (await host.queue.locks.record(newest.transitionId as string))?.state === 'done',
    );
    const ran = (await readRecords(redis))
      .filter((r) => r.deployment === 'team-f/search' && r.phase === 'end')
      .map((r) => r.transitionId);
    assert.deepEqual(ran, [newest.transitionId]);
    await waitUntil(
      'the deployment to be free',
      async () => (await host.queue.locks.owner('team-f/search')) === null,
    );
  });
});
