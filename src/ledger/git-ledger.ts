// The savepoint ledger: durable in Git (a note per triggering commit, see note-format.ts), so it
// outlives both Redis and the FlinkDeployment; Redis is only a cache for fast reads by many workers.
// When the cache is missing (Redis flushed or restarted empty) it is rebuilt from the notes.
import type { Redis } from 'ioredis';
import { GitNotesStore } from '../git/notes-store.ts';
import { childLogger } from '../log.ts';
import {
  entryKey,
  LEDGER_NOTES_REF,
  type LedgerNote,
  mergeNotes,
  newestFirst,
  parseEntry,
  parseNote,
  withEntry,
} from './note-format.ts';
import type { Ledger, LedgerEntry } from './types.ts';

const log = childLogger({ module: 'ledger' });

export interface GitLedgerOptions {
  /** the repository (work tree or bare mirror) that holds the triggering commits */
  repoDir: string;
  /** cache; without it every read goes to Git */
  redis?: Redis;
  /** prefix of the cache keys (default "flinkops") */
  prefix?: string;
  /** remote to push the notes ref to: default "origin" when present; false for local only */
  remote?: string | false;
  /** extra git environment (credentials header of the mirror), never logged */
  gitEnv?: Record<string, string>;
  secrets?: string[];
}

export class GitLedger implements Ledger {
  readonly store: GitNotesStore<LedgerNote>;
  private readonly redis: Redis | undefined;
  private readonly prefix: string;
  private rebuilding: Promise<void> | null = null;

  constructor(options: GitLedgerOptions) {
    this.store = new GitNotesStore<LedgerNote>({
      repoDir: options.repoDir,
      ref: LEDGER_NOTES_REF,
      merge: mergeNotes,
      parse: parseNote,
      ...(options.remote !== undefined ? { remote: options.remote } : {}),
      ...(options.gitEnv ? { env: options.gitEnv } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
    });
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'flinkops';
  }

  private get readyKey(): string {
    return `${this.prefix}:ledger:ready`;
  }
  private get deploymentsKey(): string {
    return `${this.prefix}:ledger:deployments`;
  }
  private entriesKey(deployment: string): string {
    return `${this.prefix}:ledger:entries:${deployment}`;
  }

  /** Idempotent: the same (namespace, name, path) is recorded once. Git first, then the cache. */
  async record(entry: LedgerEntry): Promise<void> {
    const clean = parseEntry(entry);
    const deployment = `${clean.namespace}/${clean.name}`;
    if (this.redis && (await this.redis.hexists(this.entriesKey(deployment), clean.path))) return;
    await this.store.update(clean.commit, (note) => withEntry(note, clean));
    await this.cache([clean]);
    log.info(
      { deployment, path: clean.path, commit: clean.commit, step: clean.step },
      'savepoint recorded in the ledger',
    );
  }

  async list(key?: string): Promise<LedgerEntry[]> {
    if (!this.redis)
      return newestFirst(
        (await this.readAllFromGit()).filter((e) => !key || `${e.namespace}/${e.name}` === key),
      );
    await this.ensureCache();
    const deployments = key ? [key] : await this.redis.smembers(this.deploymentsKey);
    const entries: LedgerEntry[] = [];
    for (const deployment of deployments) {
      for (const raw of await this.redis.hvals(this.entriesKey(deployment)))
        entries.push(parseEntry(JSON.parse(raw)));
    }
    return newestFirst(entries);
  }

  async newest(namespace: string, name: string): Promise<LedgerEntry | null> {
    return (await this.list(`${namespace}/${name}`))[0] ?? null;
  }

  /**
   * Every entry of the local notes, read without fetching or writing anything (one `notes list` and one
   * `cat-file --batch`): for `flinkops plan`, which must leave the repository as it found it.
   */
  async readLocal(): Promise<LedgerEntry[]> {
    const entries = [...(await this.store.readAll()).values()].flatMap((note) => note.entries);
    return [...new Map(entries.map((e) => [entryKey(e), e])).values()];
  }

  /** Every entry of every note, read from Git (after merging the remote's notes when there is one). */
  async readAllFromGit(): Promise<LedgerEntry[]> {
    await this.store
      .pull()
      .catch((err) =>
        log.warn(
          { err: (err as Error).message },
          'cannot fetch the remote ledger notes; using the local ones',
        ),
      );
    const entries: LedgerEntry[] = [];
    for (const commit of await this.store.list()) {
      const note = await this.store.read(commit);
      if (note) entries.push(...note.entries);
    }
    const unique = new Map(entries.map((e) => [entryKey(e), e]));
    return [...unique.values()];
  }

  /** Rebuilds the Redis cache from Git (when it was lost); concurrent callers share one rebuild. */
  async rebuildCache(): Promise<void> {
    if (!this.redis) return;
    this.rebuilding ??= (async () => {
      const entries = await this.readAllFromGit();
      await this.cache(entries);
      await this.redis?.set(this.readyKey, String(entries.length));
      log.info({ entries: entries.length }, 'ledger cache rebuilt from git notes');
    })().finally(() => {
      this.rebuilding = null;
    });
    return this.rebuilding;
  }

  private async ensureCache(): Promise<void> {
    if (this.redis && !(await this.redis.exists(this.readyKey))) await this.rebuildCache();
  }

  private async cache(entries: LedgerEntry[]): Promise<void> {
    if (!this.redis || entries.length === 0) return;
    const multi = this.redis.multi();
    for (const e of entries) {
      const deployment = `${e.namespace}/${e.name}`;
      multi.sadd(this.deploymentsKey, deployment);
      // HSETNX keeps the first copy: the same savepoint recorded twice stays one entry
      multi.hsetnx(this.entriesKey(deployment), e.path, JSON.stringify(e));
    }
    await multi.exec();
  }
}
