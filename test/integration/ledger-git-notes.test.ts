// The savepoint ledger: durable as git notes on the triggering commit, pushed to the remote, Redis only
// a cache that is rebuilt from Git after FLUSHALL; recording the same savepoint twice keeps one entry.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { GitLedger } from '../../src/ledger/git-ledger.ts';
import type { LedgerEntry } from '../../src/ledger/types.ts';
import { connectRedis } from '../../src/queue/connection.ts';
import { git, TestRepo } from '../helpers/git-repo.ts';
import type { TestRedis } from '../helpers/redis-server.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { startOwnRedis } from './queue-fixtures.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

function entry(
  commit: string,
  name: string,
  path: string,
  takenAt: string,
  step: LedgerEntry['step'] = 'savepoint-suspend',
): LedgerEntry {
  return {
    namespace: 'team-a',
    name,
    path,
    takenAt,
    commit,
    step,
    jobId: `${commit.slice(0, 12)}_team-a_${name}_0_${step}`,
  };
}

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

describe('the savepoint ledger in git notes', () => {
  let server: TestRedis;
  let redis: Redis;
  let tmp: ReturnType<typeof makeTempDir>;
  let repo: TestRepo;
  let remoteDir: string;
  let c1: string;
  let c2: string;
  let ledger: GitLedger;

  before(async () => {
    server = await startOwnRedis();
    redis = connectRedis(server.url);
    tmp = makeTempDir('flinkops-ledger-');
    remoteDir = join(tmp.dir, 'remote.git');
    TestRepo.init(remoteDir, { bare: true });
    repo = TestRepo.init(join(tmp.dir, 'work'));
    c1 = repo.write('apps/orders.yaml', 'a: 1\n').commit('first');
    c2 = repo.write('apps/orders.yaml', 'a: 2\n').commit('second');
    repo.git('remote', 'add', 'origin', remoteDir);
    repo.git('push', '-q', 'origin', 'main');
    ledger = new GitLedger({ repoDir: repo.dir, redis });
  });

  after(async () => {
    redis?.disconnect();
    await server?.stop();
    tmp?.cleanup();
  });

  it('records entries once per (namespace, name, path) as a JSON note on the triggering commit', async () => {
    await ledger.record(entry(c1, 'orders', 's3://sp/orders/sp-1', '2026-11-25T08:00:00.000Z'));
    await ledger.record(entry(c1, 'orders', 's3://sp/orders/sp-1', '2026-11-25T08:00:00.000Z'));
    await ledger.record(entry(c1, 'clicks', 's3://sp/clicks/sp-1', '2026-11-25T08:00:01.000Z', 'savepoint'));
    await ledger.record(
      entry(c2, 'orders', 's3://sp/orders/sp-2', '2026-11-25T09:00:00.000Z', 'guarded-delete'),
    );
    // a second ledger without the cache (e.g. another process) recording the same savepoint adds nothing
    await new GitLedger({ repoDir: repo.dir }).record(
      entry(c2, 'orders', 's3://sp/orders/sp-2', '2026-11-25T09:00:00.000Z', 'guarded-delete'),
    );

    const note1 = JSON.parse(repo.git('notes', '--ref=flinkops-ledger', 'show', c1));
    assert.deepEqual(
      note1.entries.map((e: LedgerEntry) => [e.name, e.path, e.step, e.commit]),
      [
        ['orders', 's3://sp/orders/sp-1', 'savepoint-suspend', c1],
        ['clicks', 's3://sp/clicks/sp-1', 'savepoint', c1],
      ],
    );
    const note2 = JSON.parse(repo.git('notes', '--ref=flinkops-ledger', 'show', c2));
    assert.equal(note2.entries.length, 1);
    assert.equal(repo.git('notes', '--ref=flinkops-ledger', 'list').split('\n').length, 2);

    const orders = await ledger.list('team-a/orders');
    assert.deepEqual(
      orders.map((e) => e.path),
      ['s3://sp/orders/sp-2', 's3://sp/orders/sp-1'],
      'newest first',
    );
    assert.equal((await ledger.newest('team-a', 'orders'))?.path, 's3://sp/orders/sp-2');
    assert.equal(await ledger.newest('team-a', 'nothing'), null);
    assert.equal((await ledger.list()).length, 3);
  });

  it('pushes the notes ref to the remote, so a fresh clone reads the same ledger', async () => {
    const remoteNotes = git(remoteDir, ['notes', '--ref=flinkops-ledger', 'list']);
    assert.equal(remoteNotes.split('\n').length, 2);
    const clone = join(tmp.dir, 'clone');
    git(tmp.dir, ['clone', '-q', remoteDir, clone]);
    const fresh = new GitLedger({ repoDir: clone });
    assert.deepEqual(
      (await fresh.list('team-a/orders')).map((e) => e.path),
      ['s3://sp/orders/sp-2', 's3://sp/orders/sp-1'],
    );
  });

  it('survives FLUSHALL: the cache is rebuilt from the git notes, and recording stays idempotent', async () => {
    await redis.flushall();
    const all = await ledger.list();
    assert.deepEqual(
      all.map((e) => `${e.name} ${e.path}`),
      ['orders s3://sp/orders/sp-2', 'clicks s3://sp/clicks/sp-1', 'orders s3://sp/orders/sp-1'],
    );
    assert.equal(await redis.get('flinkops:ledger:ready'), '3');
    await redis.flushall();
    await ledger.record(entry(c1, 'orders', 's3://sp/orders/sp-1', '2026-11-25T08:00:00.000Z'));
    assert.equal((await ledger.list('team-a/orders')).length, 2);
    const note1 = JSON.parse(repo.git('notes', '--ref=flinkops-ledger', 'show', c1));
    assert.equal(note1.entries.length, 2);
  });

  it('lists entries with `flinkops ledger` as JSON and as a table, and rejects bad arguments', {
    timeout: 120_000,
  }, async () => {
    const json = await cli([
      'ledger',
      'team-a/orders',
      '--repo',
      repo.dir,
      '--redis',
      server.url,
      '--format',
      'json',
    ]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      JSON.parse(json.stdout).entries.map((e: LedgerEntry) => e.path),
      ['s3://sp/orders/sp-2', 's3://sp/orders/sp-1'],
    );
    const table = await cli(['ledger', '--repo', repo.dir]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^DEPLOYMENT\s+TAKEN AT\s+STEP\s+COMMIT\s+PATH$/);
    assert.match(
      lines[1],
      new RegExp(
        `^team-a/orders\\s+2026-11-25T09:00:00.000Z\\s+guarded-delete\\s+${c2.slice(0, 12)}\\s+s3://sp/orders/sp-2$`,
      ),
    );
    assert.equal(lines.length, 4);
    const bad = await cli(['ledger', 'not a key', '--repo', repo.dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected namespace\/name/);
  });
});
