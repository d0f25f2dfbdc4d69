// `flinkops retry <job-id>`: re-queues a failed step (the flow then continues), and says clearly when
// the job does not exist or has not failed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/connection.ts';
import { enqueueTransition } from '../../src/queue/enqueue.ts';
import { type StepWorkers, startStepWorkers } from '../../src/queue/worker-host.ts';
import { freePort } from '../helpers/ports.ts';
import type { TestRedis } from '../helpers/redis-server.ts';
import { sha, startOwnRedis, upgradeInput, waitUntil } from './queue-fixtures.ts';
import { readRecords, recordingHandlers, transientKey } from './queue-test-handlers.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/bin/flinkops.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, FLINKOPS_LOG_LEVEL: 'silent' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('flinkops retry', () => {
  let server: TestRedis;
  let redis: Redis;
  let host: StepWorkers;
  let handlers: ReturnType<typeof recordingHandlers>;

  before(async () => {
    server = await startOwnRedis();
    redis = connectRedis(server.url);
    handlers = recordingHandlers(server.url);
    host = await startStepWorkers({ redisUrl: server.url, handlers, policy: { attempts: 2, backoffMs: 20 } });
  });

  after(async () => {
    await host?.close();
    handlers?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('re-queues a failed step and the rest of the flow runs to the end', { timeout: 120_000 }, async () => {
    const input = upgradeInput(sha(0x41), 'team-r', 'retry-me');
    const built = host.queue.build(input);
    assert.ok(built);
    const [, middle, last] = built.jobIds;
    // the step exhausts its 2 automatic attempts on transient errors, then waits for a human
    await redis.set(transientKey(middle), '3');
    await enqueueTransition(host.queue, input);
    await waitUntil(
      'the upgrade step to fail for good',
      async () => (await host.queue.queue.getJobState(middle)) === 'failed',
    );
    assert.equal(await host.queue.queue.getJobState(last), 'waiting-children');

    const retried = await cli(['retry', middle, '--redis', server.url]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(
      retried.stdout,
      new RegExp(
        `^re-queued ${middle} \\(team-r/retry-me step 2/3: upgrade of transition ${built.transitionId} @`,
      ),
    );
    assert.match(retried.stdout, /it had failed with: test-induced transient failure of upgrade/);
    await waitUntil(
      'the transition to finish after the retry',
      async () => (await host.queue.locks.record(built.transitionId))?.state === 'done',
    );
    const ends = (await readRecords(redis))
      .filter((r) => r.transitionId === built.transitionId && r.phase === 'end')
      .map((r) => r.action);
    assert.deepEqual(ends, ['savepoint-suspend', 'upgrade', 'resume']);

    const again = await cli(['retry', middle, '--redis', server.url]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      new RegExp(`job ${middle} is completed, not failed: only failed jobs can be retried`),
    );
  });

  it('says so when the job does not exist or Redis is unreachable', { timeout: 120_000 }, async () => {
    const missing = await cli(['retry', 'deadbeef0000_team-r_ghost_0_upgrade', '--redis', server.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no job "deadbeef0000_team-r_ghost_0_upgrade" in queue flinkops-steps/);
    const port = await freePort();
    const down = await cli(['retry', 'x_y_z_0_upgrade', '--redis', `redis://127.0.0.1:${port}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`cannot reach Redis at 127.0.0.1:${port}`));
  });
});
