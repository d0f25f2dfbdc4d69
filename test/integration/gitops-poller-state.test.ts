// The poller state's attention set (deployments waiting for an approval or for a running transition)
// follows every record update, skips stale entries, and is rebuilt from the records by reindex (a
// replica taking the lease from one that did not keep it). Real Redis.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { PollerState } from '../../src/gitops/poller-state.ts';
import { connectRedis } from '../../src/queue/connection.ts';
import { TestRedis } from '../helpers/redis-server.ts';

let server: TestRedis;
let redis: Redis;
before(async () => {
  server = await TestRedis.start();
  redis = connectRedis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

const keysOf = async (state: PollerState) => [...(await state.deploymentsNeedingAttention()).keys()].sort();

test('the attention set follows record updates', async () => {
  const state = new PollerState(redis, 'follow');
  await state.updateDeployment('ns/a', () => ({ applied: 'c1', desired: 'c1' }));
  await state.updateDeployment('ns/b', () => ({ desired: 'c2', awaitingApproval: { since: 'c1' } }));
  await state.updateDeployment('ns/c', () => ({
    desired: 'c2',
    waitingFor: { head: 'c2', transitionId: 't' },
  }));
  await state.updateDeployment('ns/d', () => ({
    desired: 'c2',
    failed: { transitionId: 't', commit: 'c2' },
  }));
  assert.deepEqual(await keysOf(state), ['ns/b', 'ns/c']);
  assert.deepEqual((await state.deploymentsNeedingAttention()).get('ns/b'), {
    desired: 'c2',
    awaitingApproval: { since: 'c1' },
  });

  // planned again: no longer waiting; removed: gone
  await state.updateDeployment('ns/c', (r) => ({ applied: r.applied, desired: 'c3' }));
  await state.updateDeployment('ns/b', () => null);
  assert.deepEqual(await keysOf(state), []);
  await state.updateDeployment('ns/a', (r) => ({ ...r, awaitingApproval: { since: 'c3' } }));
  assert.deepEqual(await keysOf(state), ['ns/a']);

  const some = await state.deploymentsOf(['ns/a', 'ns/d', 'ns/none']);
  assert.deepEqual([...some.keys()], ['ns/a', 'ns/d']);
});

test('reindex rebuilds the set from records written without it, and returns every record', async () => {
  const state = new PollerState(redis, 'older');
  const hash = `flinkops:poller:${state.repoId}:deployments`;
  // as a version without the set left them (and a stale member of the set)
  await redis.hset(hash, {
    'ns/x': JSON.stringify({ applied: 'c1', desired: 'c1' }),
    'ns/y': JSON.stringify({ desired: 'c2', awaitingApproval: { since: 'c1' } }),
  });
  await redis.sadd(`flinkops:poller:${state.repoId}:attention`, 'ns/x', 'ns/gone');
  assert.deepEqual(await keysOf(state), [], 'stale entries are skipped; ns/y is not indexed yet');

  const all = await state.reindex();
  assert.deepEqual([...all.keys()].sort(), ['ns/x', 'ns/y']);
  assert.deepEqual(await keysOf(state), ['ns/y']);
  assert.deepEqual(await redis.smembers(`flinkops:poller:${state.repoId}:attention`), ['ns/y']);
});
