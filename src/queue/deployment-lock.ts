// Per-deployment serialization in Redis. A deployment (namespace/name) is owned by at most one
// transition at a time; later transitions wait in a FIFO pending list. Ownership passes from one
// transition to the next inside one Lua script, so no crash can leave two owners, and a crash right
// after the hand-over leaves an owner whose flow is not yet added, which the recovery sweep adds.
//
// Keys (prefix default "flinkops"):
//   <p>:tx:<transitionId>   hash: deployment, state, flow (JSON: what to add, see TransitionQueue.flowOf), added (0|1),
//                            lastJobId, commit, enqueuedAt, finishedAt, supersededBy
//   <p>:owner:<ns>/<name>   string: the transitionId that owns the deployment
//   <p>:pending:<ns>/<name> list of transitionIds, oldest first
//   <p>:deployments         set of ns/name that have an owner or pending transitions
import type { Redis } from 'ioredis';

export type TransitionState =
  | 'pending'
  | 'running'
  | 'done'
  | 'failed'
  | 'cancelling'
  | 'cancelled'
  | 'superseded';

export interface TransitionRecord {
  transitionId: string;
  deployment: string;
  state: TransitionState;
  flow: string;
  added: boolean;
  lastJobId: string;
  commit: string;
  enqueuedAt: string;
  finishedAt?: string;
  supersededBy?: string;
}

/** Terminal transition records are kept this long so re-enqueueing a finished plan stays a no-op. */
export const FINISHED_RECORD_TTL_SECONDS = 14 * 24 * 3600;

// KEYS: tx, owner, pending, deployments. ARGV: tid, deployment, flow, lastJobId, commit, now, supersede, txPrefix, ttl
const CLAIM = `
local state = redis.call('HGET', KEYS[1], 'state')
if state then
  return {'known', state, redis.call('HGET', KEYS[1], 'added') or '0'}
end
redis.call('HSET', KEYS[1], 'deployment', ARGV[2], 'flow', ARGV[3], 'lastJobId', ARGV[4], 'commit', ARGV[5],
  'enqueuedAt', ARGV[6], 'added', '0')
redis.call('SADD', KEYS[4], ARGV[2])
local owner = redis.call('GET', KEYS[2])
if not owner then
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'state', 'running')
  return {'dispatch', 'running', '0'}
end
local superseded = {}
if ARGV[7] == '1' then
  superseded = redis.call('LRANGE', KEYS[3], 0, -1)
  for _, old in ipairs(superseded) do
    redis.call('HSET', ARGV[8] .. old, 'state', 'superseded', 'supersededBy', ARGV[1], 'finishedAt', ARGV[6])
    redis.call('EXPIRE', ARGV[8] .. old, tonumber(ARGV[9]))
  end
  redis.call('DEL', KEYS[3])
end
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'pending')
return {'pending', owner, table.concat(superseded, ',')}
`;

// Ends the owner's tenure and hands the deployment to the next pending transition.
// KEYS: owner, pending, deployments. ARGV: tid, deployment, txPrefix, now, finalState, ttl
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {'not-owner'}
end
redis.call('HSET', ARGV[3] .. ARGV[1], 'state', ARGV[5], 'finishedAt', ARGV[4])
redis.call('EXPIRE', ARGV[3] .. ARGV[1], tonumber(ARGV[6]))
local nextId = redis.call('LPOP', KEYS[2])
if nextId then
  redis.call('SET', KEYS[1], nextId)
  redis.call('HSET', ARGV[3] .. nextId, 'state', 'running')
  return {'dispatch', nextId}
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[2])
return {'free'}
`;

// For the recovery sweep: a deployment without owner but with pending transitions gets the oldest.
// KEYS: owner, pending, deployments. ARGV: deployment, txPrefix
const TAKE_NEXT = `
local owner = redis.call('GET', KEYS[1])
if owner then return {'owned', owner} end
local nextId = redis.call('LPOP', KEYS[2])
if nextId then
  redis.call('SET', KEYS[1], nextId)
  redis.call('HSET', ARGV[2] .. nextId, 'state', 'running')
  return {'dispatch', nextId}
end
redis.call('SREM', KEYS[3], ARGV[1])
return {'free'}
`;

// KEYS: tx, pending. ARGV: tid, now, ttl. Removes a pending (not running) transition.
const DROP_PENDING = `
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
redis.call('LREM', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finishedAt', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

export type ClaimResult =
  | { outcome: 'dispatch' }
  | { outcome: 'pending'; owner: string; superseded: string[] }
  | { outcome: 'known'; state: TransitionState; added: boolean };

export type ReleaseResult =
  | { outcome: 'not-owner' }
  | { outcome: 'free' }
  | { outcome: 'dispatch'; next: string };

const SCRIPTS = {
  flinkopsClaim: CLAIM,
  flinkopsRelease: RELEASE,
  flinkopsTakeNext: TAKE_NEXT,
  flinkopsDropPending: DROP_PENDING,
};
type ScriptName = keyof typeof SCRIPTS;

export class DeploymentLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'flinkops',
  ) {
    // defineCommand sends EVALSHA (the script body only once per connection)
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { lua });
    }
  }

  private run(name: ScriptName, numberOfKeys: number, ...args: string[]): Promise<unknown> {
    return (this.redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<unknown>>)[
      name
    ](numberOfKeys, ...args);
  }

  private get txPrefix(): string {
    return `${this.prefix}:tx:`;
  }
  txKey(transitionId: string): string {
    return `${this.txPrefix}${transitionId}`;
  }
  ownerKey(deployment: string): string {
    return `${this.prefix}:owner:${deployment}`;
  }
  pendingKey(deployment: string): string {
    return `${this.prefix}:pending:${deployment}`;
  }
  get deploymentsKey(): string {
    return `${this.prefix}:deployments`;
  }

  async claim(input: {
    transitionId: string;
    deployment: string;
    flow: string;
    lastJobId: string;
    commit: string;
    supersede: boolean;
  }): Promise<ClaimResult> {
    const reply = (await this.run(
      'flinkopsClaim',
      4,
      this.txKey(input.transitionId),
      this.ownerKey(input.deployment),
      this.pendingKey(input.deployment),
      this.deploymentsKey,
      input.transitionId,
      input.deployment,
      input.flow,
      input.lastJobId,
      input.commit,
      new Date().toISOString(),
      input.supersede ? '1' : '0',
      this.txPrefix,
      String(FINISHED_RECORD_TTL_SECONDS),
    )) as string[];
    if (reply[0] === 'dispatch') return { outcome: 'dispatch' };
    if (reply[0] === 'pending')
      return { outcome: 'pending', owner: reply[1], superseded: reply[2] ? reply[2].split(',') : [] };
    return { outcome: 'known', state: reply[1] as TransitionState, added: reply[2] === '1' };
  }

  async release(
    transitionId: string,
    deployment: string,
    finalState: TransitionState,
  ): Promise<ReleaseResult> {
    const reply = (await this.run(
      'flinkopsRelease',
      3,
      this.ownerKey(deployment),
      this.pendingKey(deployment),
      this.deploymentsKey,
      transitionId,
      deployment,
      this.txPrefix,
      new Date().toISOString(),
      finalState,
      String(FINISHED_RECORD_TTL_SECONDS),
    )) as string[];
    if (reply[0] === 'dispatch') return { outcome: 'dispatch', next: reply[1] };
    return { outcome: reply[0] as 'free' | 'not-owner' };
  }

  async takeNext(
    deployment: string,
  ): Promise<
    { outcome: 'owned'; owner: string } | { outcome: 'dispatch'; next: string } | { outcome: 'free' }
  > {
    const reply = (await this.run(
      'flinkopsTakeNext',
      3,
      this.ownerKey(deployment),
      this.pendingKey(deployment),
      this.deploymentsKey,
      deployment,
      this.txPrefix,
    )) as string[];
    if (reply[0] === 'owned') return { outcome: 'owned', owner: reply[1] };
    if (reply[0] === 'dispatch') return { outcome: 'dispatch', next: reply[1] };
    return { outcome: 'free' };
  }

  async dropPending(transitionId: string, deployment: string): Promise<boolean> {
    const reply = await this.run(
      'flinkopsDropPending',
      2,
      this.txKey(transitionId),
      this.pendingKey(deployment),
      transitionId,
      new Date().toISOString(),
      String(FINISHED_RECORD_TTL_SECONDS),
    );
    return reply === 1;
  }

  async markAdded(transitionId: string): Promise<void> {
    await this.redis.hset(this.txKey(transitionId), 'added', '1');
  }

  async setState(transitionId: string, state: TransitionState): Promise<void> {
    await this.redis.hset(this.txKey(transitionId), 'state', state);
  }

  async record(transitionId: string): Promise<TransitionRecord | null> {
    const hash = await this.redis.hgetall(this.txKey(transitionId));
    if (!hash.state) return null;
    return {
      transitionId,
      deployment: hash.deployment,
      state: hash.state as TransitionState,
      flow: hash.flow,
      added: hash.added === '1',
      lastJobId: hash.lastJobId,
      commit: hash.commit,
      enqueuedAt: hash.enqueuedAt,
      ...(hash.finishedAt ? { finishedAt: hash.finishedAt } : {}),
      ...(hash.supersededBy ? { supersededBy: hash.supersededBy } : {}),
    };
  }

  async owner(deployment: string): Promise<string | null> {
    return this.redis.get(this.ownerKey(deployment));
  }

  async pending(deployment: string): Promise<string[]> {
    return this.redis.lrange(this.pendingKey(deployment), 0, -1);
  }

  async deployments(): Promise<string[]> {
    return (await this.redis.smembers(this.deploymentsKey)).sort();
  }
}
