// /healthz, /readyz and /metrics against a real Redis: readiness names the check that fails (here
// Redis, killed mid-test, and a Kubernetes API nobody listens on), and the metrics carry what the
// workers and poller record plus queue depth read from Redis at scrape time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { probe } from '../../src/server/health.ts';
import {
  defaultMetrics,
  FlinkopsMetrics,
  recordSavepoint,
  recordTransition,
} from '../../src/server/metrics.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';
import { freePort } from '../helpers/ports.ts';
import { TestRedis } from '../helpers/redis-server.ts';

/** The value of one sample line, e.g. sample(text, 'flinkops_queue_jobs{state="failed"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('server health, readiness and metrics', () => {
  let redis: TestRedis;
  let queue: Queue;
  let worker: Worker;
  let probeClient: Redis;
  let server: RunningServer;
  let deadKubePort: number;
  const metrics = new FlinkopsMetrics({ queueCountTimeoutMs: 1000 });
  let kubeOk = true;

  before(async () => {
    redis = await TestRedis.start();
    deadKubePort = await freePort();
    const connection = { host: '127.0.0.1', port: redis.port };
    queue = new Queue('flinkops-steps', { connection });
    queue.on('error', () => {});
    worker = new Worker(
      'flinkops-steps',
      async (job) => {
        if (job.data.fail) throw new UnrecoverableError('savepoint failed');
        return { ok: true };
      },
      { connection, autorun: false },
    );
    worker.on('error', () => {});
    probeClient = new Redis({
      ...connection,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 200,
    });
    probeClient.on('error', () => {});
    server = await startServer({
      listen: '127.0.0.1:0',
      queues: [queue],
      onPollRequested: () => {},
      metrics,
      readinessTimeoutMs: 10_000,
      readiness: async () =>
        Promise.all([
          probe('redis', () => probeClient.ping(), 2000),
          probe('git fetch', async () => {}),
          kubeOk
            ? probe('kubernetes api', async () => {})
            : probe('kubernetes api', () => fetch(`http://127.0.0.1:${deadKubePort}/version`), 2000),
        ]),
    });
  });
  after(async () => {
    await server?.close();
    await worker?.close();
    await queue?.close();
    probeClient?.disconnect();
    await redis?.stop();
  });

  it('answers /healthz and a ready /readyz listing every check', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    assert.equal(body.ok, true);
    assert.deepEqual(
      body.checks.map((c) => c.name),
      ['redis', 'git fetch', 'kubernetes api'],
    );
  });

  it('reports recorded transitions, step durations, savepoints, poll age and queue depth', async () => {
    let text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(sample(text, 'flinkops_seconds_since_last_poll'), -1, 'no poll yet');

    metrics.recordTransition('success');
    metrics.recordTransition('success');
    metrics.recordTransition('failure');
    metrics.observeStep('savepoint-suspend', 12);
    metrics.observeStep('upgrade', 0.3);
    metrics.recordSavepoint();
    metrics.markPollSucceeded(Date.now() - 90_000);

    await queue.add('team-a/orders upgrade @1a2b3c4', { fail: false }, { jobId: 'ok-1' });
    await queue.add('team-a/orders resume @1a2b3c4', { fail: true }, { jobId: 'bad-1' });
    worker.run().catch(() => {});
    const deadline = Date.now() + 30_000;
    while (
      (await queue.getJobState('bad-1')) !== 'failed' ||
      (await queue.getJobState('ok-1')) !== 'completed'
    ) {
      assert.ok(Date.now() < deadline, 'jobs did not finish within 30 s');
      await sleep(50);
    }
    // no worker from here on: the next jobs stay waiting (and Redis is killed later)
    await worker.close();
    await queue.add('team-b/clicks create @9f8e7d6', {}, { jobId: 'wait-1' });
    await queue.add('team-b/views create @9f8e7d6', {}, { jobId: 'wait-2' });

    const response = await fetch(`${server.url}/metrics`);
    assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
    text = await response.text();
    assert.equal(sample(text, 'flinkops_transitions_total{outcome="success"}'), 2);
    assert.equal(sample(text, 'flinkops_transitions_total{outcome="failure"}'), 1);
    assert.equal(sample(text, 'flinkops_step_duration_seconds_count{action="savepoint-suspend"}'), 1);
    assert.equal(
      sample(text, 'flinkops_step_duration_seconds_bucket{le="10",action="savepoint-suspend"}'),
      0,
    );
    assert.equal(
      sample(text, 'flinkops_step_duration_seconds_bucket{le="30",action="savepoint-suspend"}'),
      1,
    );
    assert.equal(sample(text, 'flinkops_step_duration_seconds_sum{action="upgrade"}'), 0.3);
    assert.equal(sample(text, 'flinkops_savepoints_recorded_total'), 1);
    const age = sample(text, 'flinkops_seconds_since_last_poll') ?? 0;
    assert.ok(age >= 90 && age < 3600, `poll age ${age}`);
    assert.equal(sample(text, 'flinkops_queue_jobs{state="completed"}'), 1);
    assert.equal(sample(text, 'flinkops_queue_jobs{state="failed"}'), 1);
    assert.equal(sample(text, 'flinkops_queue_jobs{state="waiting"}'), 2);
    assert.equal(sample(text, 'flinkops_queue_jobs{state="active"}'), 0);
  });

  it('uses a last-poll provider when one is set (the poller may run in another process)', async () => {
    metrics.setLastPollProvider(async () => Date.now() - 5_000);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const age = sample(text, 'flinkops_seconds_since_last_poll') ?? -1;
    assert.ok(age >= 5 && age < 60, `poll age ${age}`);
  });

  it('records through the module functions into the process-wide registry', async () => {
    const before =
      sample(await defaultMetrics.registry.metrics(), 'flinkops_transitions_total{outcome="blocked"}') ?? 0;
    recordTransition('blocked');
    recordSavepoint();
    const text = await defaultMetrics.registry.metrics();
    assert.equal(sample(text, 'flinkops_transitions_total{outcome="blocked"}'), before + 1);
    assert.ok((sample(text, 'flinkops_savepoints_recorded_total') ?? 0) >= 1);
  });

  it('answers /readyz 503 naming the Kubernetes API when it is unreachable', async () => {
    kubeOk = false;
    try {
      const answer = await fetch(`${server.url}/readyz`);
      assert.equal(answer.status, 503);
      const body = (await answer.json()) as { failing: string[]; message: string };
      assert.deepEqual(body.failing, ['kubernetes api']);
      assert.match(body.message, /^not ready: kubernetes api \(/);
    } finally {
      kubeOk = true;
    }
  });

  it('answers /readyz 503 naming Redis once it is down, while /healthz and /metrics still answer', async () => {
    await redis.kill();
    try {
      await assertNotReadyWithoutRedis();
    } finally {
      // bring it back so the queue and worker can close cleanly
      await redis.spawn();
    }
  });

  async function assertNotReadyWithoutRedis(): Promise<void> {
    const answer = await fetch(`${server.url}/readyz`);
    assert.equal(answer.status, 503);
    const body = (await answer.json()) as {
      ok: boolean;
      failing: string[];
      checks: { name: string; ok: boolean }[];
    };
    assert.equal(body.ok, false);
    assert.deepEqual(body.failing, ['redis']);
    assert.equal(body.checks.find((c) => c.name === 'git fetch')?.ok, true);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const scrape = await fetch(`${server.url}/metrics`);
    assert.equal(scrape.status, 200);
    const text = await scrape.text();
    assert.equal(
      sample(text, 'flinkops_queue_jobs{state="waiting"}'),
      undefined,
      'unknown depth is absent, not stale',
    );
    assert.equal(sample(text, 'flinkops_savepoints_recorded_total'), 1);
  }
});
