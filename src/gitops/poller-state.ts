// What the poller remembers between polls, in Redis: the last commit it planned, and per deployment
// the last revision applied successfully plus why it is still open (a delete waiting for approval, a
// change waiting for a running transition). Keys live under flinkops:poller:<repoId>:.
// The deployments the poller must look at on every poll, touched by a commit or not (waiting for an
// approval or for a running transition), are also kept in a set, so a poll reads those few records
// instead of one per deployment of the repository (10,000 records cost ~20 ms of node CPU per poll).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface DeploymentRecord {
  /** last commit whose transition finished (or at which the deployment was found in sync) */
  applied?: string;
  /** newest head commit planned for this deployment */
  desired?: string;
  /**
   * a guarded delete waits for a Flinkops-Approve-Delete trailer in since..newest head; `blocked`: the
   * commits whose status says "needs approval" (superseded once a later transition carries the change)
   */
  awaitingApproval?: { since: string; blocked?: string[] };
  /**
   * commits whose status still says "needs approval" although transition `transitionId` (of a later
   * commit) now carries the deployment's change: they become "superseded by <sha>" when it succeeds
   */
  supersedes?: { transitionId: string; commits: string[] };
  /** a newer change arrived while a transition was running: plan it against the live object later */
  waitingFor?: { head: string; transitionId: string };
  /** the transition of `desired` failed and waits for a human (retry) or a newer commit */
  failed?: { transitionId: string; commit: string };
}

/** A record the poller acts on even when no new commit touches its deployment. */
export function needsAttention(record: DeploymentRecord): boolean {
  return Boolean(record.awaitingApproval || record.waitingFor);
}

export function repoIdOf(source: string, branch: string): string {
  return createHash('sha256').update(`${source}\u0000${branch}`).digest('hex').slice(0, 16);
}

export class PollerState {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    readonly repoId: string,
  ) {
    this.prefix = `flinkops:poller:${repoId}`;
  }

  get leaseKey(): string {
    return `${this.prefix}:lease`;
  }

  async lastPlanned(): Promise<string | null> {
    return this.redis.get(`${this.prefix}:last-planned`);
  }

  async setLastPlanned(sha: string): Promise<void> {
    await this.redis.set(`${this.prefix}:last-planned`, sha);
  }

  async deployment(key: string): Promise<DeploymentRecord> {
    const raw = await this.redis.hget(`${this.prefix}:deployments`, key);
    return raw ? (JSON.parse(raw) as DeploymentRecord) : {};
  }

  async deployments(): Promise<Map<string, DeploymentRecord>> {
    const all = await this.redis.hgetall(`${this.prefix}:deployments`);
    return new Map(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as DeploymentRecord]));
  }

  /** The records of some deployments (those without one are left out). */
  async deploymentsOf(keys: readonly string[]): Promise<Map<string, DeploymentRecord>> {
    const out = new Map<string, DeploymentRecord>();
    if (keys.length === 0) return out;
    const raws = await this.redis.hmget(`${this.prefix}:deployments`, ...keys);
    keys.forEach((key, i) => {
      const raw = raws[i];
      if (raw) out.set(key, JSON.parse(raw) as DeploymentRecord);
    });
    return out;
  }

  private get attentionKey(): string {
    return `${this.prefix}:attention`;
  }

  /** The records that need attention (see needsAttention), through the set that indexes them. */
  async deploymentsNeedingAttention(): Promise<Map<string, DeploymentRecord>> {
    const keys = await this.redis.smembers(this.attentionKey);
    const records = await this.deploymentsOf(keys);
    for (const [key, record] of records) if (!needsAttention(record)) records.delete(key);
    return records;
  }

  /**
   * Every record, and the attention set rebuilt from them: for a poller that (re)gains the lease, since
   * the replica that held it may have run a version that did not keep the set.
   */
  reindex(): Promise<Map<string, DeploymentRecord>> {
    const run = this.updating.then(() => this.reindexNow());
    this.updating = run.catch(() => undefined);
    return run;
  }

  private async reindexNow(): Promise<Map<string, DeploymentRecord>> {
    const hash = `${this.prefix}:deployments`;
    for (let attempt = 0; attempt < 20; attempt++) {
      await this.redis.watch(hash);
      const records = await this.deployments();
      const attention = [...records].filter(([, r]) => needsAttention(r)).map(([key]) => key);
      const tx = this.redis.multi().del(this.attentionKey);
      if (attention.length > 0) tx.sadd(this.attentionKey, ...attention);
      if ((await tx.exec()) !== null) return records;
    }
    throw new Error('could not index the poller state: too many concurrent writers');
  }

  /** Read-modify-write of one deployment's record (WATCH/MULTI so concurrent writers do not clobber). */
  /** WATCH belongs to a connection: this process' updates take turns, other processes are caught by WATCH */
  private updating: Promise<unknown> = Promise.resolve();

  updateDeployment(
    key: string,
    mutate: (current: DeploymentRecord) => DeploymentRecord | null,
  ): Promise<void> {
    const run = this.updating.then(() => this.updateDeploymentNow(key, mutate));
    this.updating = run.catch(() => undefined);
    return run;
  }

  private async updateDeploymentNow(
    key: string,
    mutate: (current: DeploymentRecord) => DeploymentRecord | null,
  ): Promise<void> {
    const hash = `${this.prefix}:deployments`;
    for (let attempt = 0; attempt < 20; attempt++) {
      await this.redis.watch(hash);
      const raw = await this.redis.hget(hash, key);
      const next = mutate(raw ? (JSON.parse(raw) as DeploymentRecord) : {});
      const tx = this.redis.multi();
      if (next === null) tx.hdel(hash, key);
      else tx.hset(hash, key, JSON.stringify(next));
      if (next && needsAttention(next)) tx.sadd(this.attentionKey, key);
      else tx.srem(this.attentionKey, key);
      const result = await tx.exec();
      if (result !== null) return;
    }
    throw new Error(`could not update poller state of ${key}: too many concurrent writers`);
  }

  async markPolled(ok: boolean, error?: string): Promise<void> {
    const now = new Date().toISOString();
    if (ok) await this.redis.hset(`${this.prefix}:poll`, { lastSuccess: now, lastError: '' });
    else
      await this.redis.hset(`${this.prefix}:poll`, { lastFailure: now, lastError: error ?? 'unknown error' });
  }

  async pollHealth(): Promise<{ lastSuccess: string | null; lastError: string | null }> {
    const h = await this.redis.hgetall(`${this.prefix}:poll`);
    return { lastSuccess: h.lastSuccess || null, lastError: h.lastError || null };
  }

  async prPlanned(ref: string): Promise<string | null> {
    return this.redis.hget(`${this.prefix}:pr-planned`, ref);
  }

  async setPrPlanned(ref: string, sha: string): Promise<void> {
    await this.redis.hset(`${this.prefix}:pr-planned`, ref, sha);
  }
}
