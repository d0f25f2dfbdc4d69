// The poller lease holder renews its lease while it fetches; a poll whose renewal fails (another
// replica took over) plans nothing, and a replica without the lease takes it before fetching.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { PollerState, repoIdOf } from '../../src/gitops/poller-state.ts';
import { connectRedis } from '../../src/queue/connection.ts';
import { type GitopsEnv, startGitopsEnv, statefulManifest } from './gitops-harness.ts';

let env: GitopsEnv;
let redis: Redis;

before(async () => {
  env = await startGitopsEnv();
  redis = connectRedis(env.redis.url);
});
after(async () => {
  redis.disconnect();
  await env.stop();
});

test('a poll whose lease was taken over while it fetched plans nothing; with the lease back it plans', async () => {
  env.work.write('jobs/echo.yaml', statefulManifest('echo', 'flink:1.20.0'));
  const first = env.push('echo');
  const flinkops = await env.start({ role: 'poller' });
  assert.equal((await flinkops.pollNow())?.head, first);
  // a slow fetch: the renewal answers long before it ends
  let fetches = 0;
  let fetching = 0;
  const fetch = flinkops.mirror.fetch.bind(flinkops.mirror);
  flinkops.mirror.fetch = async () => {
    fetches++;
    fetching++;
    try {
      await sleep(300);
      return await fetch();
    } finally {
      fetching--;
    }
  };

  const state = new PollerState(redis, repoIdOf(env.remote.dir, 'main'));
  // our lease expired and another replica holds it now
  await redis.set(state.leaseKey, 'another-replica');
  env.work.write('jobs/echo.yaml', statefulManifest('echo', 'flink:1.20.1'));
  const second = env.push('echo 1.20.1');
  assert.equal(await flinkops.pollNow(), null);
  assert.equal(fetches, 1, 'the holder fetched while it renewed');
  assert.equal(fetching, 0, 'the poll ended only after its fetch (never two fetches in the mirror at once)');
  assert.equal(await state.lastPlanned(), first);
  assert.deepEqual(env.statuses(second), {});
  // while the other replica holds it, this one does not even fetch
  assert.equal(await flinkops.pollNow(), null);
  assert.equal(fetches, 1);

  await redis.del(state.leaseKey);
  const outcome = await flinkops.pollNow();
  assert.equal(outcome?.head, second);
  assert.deepEqual(
    outcome?.planned.map((p) => p.key),
    ['streaming/echo'],
  );
  assert.equal(await state.lastPlanned(), second);
});
