// The queue UI's Retry continues a flow: a 3-step chain (savepoint-suspend -> upgrade -> resume,
// fixed ids, the steps queue) whose middle step fails once with UnrecoverableError leaves resume
// waiting for its child; retrying the failed step through Bull Board's HTTP API (the call the
// Retry button makes, with basic auth and a same-origin header, as a browser sends it) re-runs it,
// then resume runs and the flow completes. Real Redis, real Worker and FlowProducer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { stepJobId, stepJobName } from '../../src/queue/ids.ts';
import { STEPS_QUEUE } from '../../src/queue/types.ts';
import { FlinkopsMetrics } from '../../src/server/metrics.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';
import { TestRedis } from '../helpers/redis-server.ts';

const COMMIT = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const TRANSITION = '1a2b3c4d5e6f_team-a_orders';
const IDS = {
  suspend: stepJobId(TRANSITION, 0, 'savepoint-suspend'),
  upgrade: stepJobId(TRANSITION, 1, 'upgrade'),
  resume: stepJobId(TRANSITION, 2, 'resume'),
};
const AUTH = `Basic ${Buffer.from('ops:s3cret-pass').toString('base64')}`;

async function waitForState(queue: Queue, jobId: string, state: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let current = await queue.getJobState(jobId);
  while (current !== state) {
    assert.ok(Date.now() < deadline, `job ${jobId} is ${current}, not ${state}, after ${timeoutMs} ms`);
    await sleep(50);
    current = await queue.getJobState(jobId);
  }
}

describe('server retry continues the flow', () => {
  let redis: TestRedis;
  let queue: Queue;
  let flows: FlowProducer;
  let worker: Worker;
  let server: RunningServer;
  const ran: string[] = [];
  let upgradeFailuresLeft = 1;

  before(async () => {
    redis = await TestRedis.start();
    const connection = { host: '127.0.0.1', port: redis.port };
    queue = new Queue(STEPS_QUEUE, { connection });
    flows = new FlowProducer({ connection });
    worker = new Worker(
      STEPS_QUEUE,
      async (job: Job<{ action: string }>) => {
        ran.push(job.data.action);
        await job.log(`${job.data.action}: read the live FlinkDeployment`);
        await job.updateProgress(50);
        if (job.data.action === 'upgrade' && upgradeFailuresLeft > 0) {
          upgradeFailuresLeft -= 1;
          await job.log('upgrade: the operator reported status.error');
          throw new UnrecoverableError('upgrade of team-a/orders failed: the operator reported status.error');
        }
        await job.updateProgress(100);
        return { action: job.data.action, summary: `${job.data.action} done` };
      },
      { connection, concurrency: 1 },
    );
    server = await startServer({
      listen: '127.0.0.1:0',
      auth: { basic: { user: 'ops', password: 's3cret-pass' } },
      queues: [queue],
      onPollRequested: () => {},
      metrics: new FlinkopsMetrics(),
    });
  });
  after(async () => {
    await server?.close();
    await worker?.close();
    await flows?.close();
    await queue?.close();
    await redis?.stop();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/queues/api${path}`, {
      ...init,
      headers: { authorization: AUTH, ...(init.headers ?? {}) },
    });

  it('shows the failed step with its name, progress and logs, and Retry lets the flow finish', async () => {
    const step = (action: 'savepoint-suspend' | 'upgrade' | 'resume', id: string) => ({
      name: stepJobName('team-a', 'orders', action, COMMIT),
      queueName: STEPS_QUEUE,
      data: { action },
      opts: { jobId: id },
    });
    await flows.add({
      ...step('resume', IDS.resume),
      children: [{ ...step('upgrade', IDS.upgrade), children: [step('savepoint-suspend', IDS.suspend)] }],
    });

    await waitForState(queue, IDS.upgrade, 'failed');
    await waitForState(queue, IDS.suspend, 'completed');
    assert.equal(await queue.getJobState(IDS.resume), 'waiting-children', 'resume waits for a human');
    assert.deepEqual(ran, ['savepoint-suspend', 'upgrade']);

    // what the UI lists: the failed step under its readable name, with progress and reason
    const listed = await api(`/queues?activeQueue=${STEPS_QUEUE}&status=failed&page=1&jobsPerPage=10`);
    assert.equal(listed.status, 200);
    const body = (await listed.json()) as {
      queues: {
        name: string;
        allowRetries: boolean;
        allowCompletedRetries: boolean;
        jobs: { id: string; name: string; progress: unknown; failedReason: string }[];
      }[];
    };
    const stepsQueue = body.queues.find((q) => q.name === STEPS_QUEUE);
    assert.equal(stepsQueue?.allowRetries, true);
    assert.equal(stepsQueue?.allowCompletedRetries, false, 'the UI hides Retry on completed steps');
    const failed = stepsQueue?.jobs ?? [];
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.id, IDS.upgrade);
    assert.equal(failed[0]?.name, 'team-a/orders upgrade @1a2b3c4');
    assert.equal(failed[0]?.progress, 50);
    assert.match(String(failed[0]?.failedReason), /operator reported status\.error/);

    const logs = await api(`/queues/${STEPS_QUEUE}/${IDS.upgrade}/logs`);
    assert.equal(logs.status, 200);
    assert.match(await logs.text(), /upgrade: the operator reported status\.error/);

    // the Retry button's call; the browser sends Origin with a PUT
    const retried = await api(`/queues/${STEPS_QUEUE}/${IDS.upgrade}/retry`, {
      method: 'PUT',
      headers: { origin: server.url },
    });
    assert.equal(retried.status, 204, await retried.text());

    await waitForState(queue, IDS.resume, 'completed');
    assert.deepEqual(ran, ['savepoint-suspend', 'upgrade', 'upgrade', 'resume']);
    assert.equal(await queue.getJobState(IDS.upgrade), 'completed');
    const resume = await queue.getJob(IDS.resume);
    assert.deepEqual(Object.values((await resume?.getChildrenValues()) ?? {}), [
      { action: 'upgrade', summary: 'upgrade done' },
    ]);

    // re-running a finished step is refused by the server, not only hidden by the UI
    const again = await api(`/queues/${STEPS_QUEUE}/${IDS.resume}/retry`, {
      method: 'PUT',
      headers: { origin: server.url },
    });
    assert.equal(again.status, 409);
    assert.match(await again.text(), /completed steps are not re-run/);
    const all = await api(`/queues/${STEPS_QUEUE}/retry/completed`, {
      method: 'PUT',
      headers: { origin: server.url },
    });
    assert.equal(all.status, 409);
    assert.deepEqual(ran, ['savepoint-suspend', 'upgrade', 'upgrade', 'resume']);
  });
});
