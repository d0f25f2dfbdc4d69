// The git-notes JSON store on real repositories: compare-and-swap locally, fetch-merge-retry
// against a bare remote, nothing lost when writers race (promises and separate processes).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitNotesStore, NotesStoreError } from '../../src/git/notes-store.ts';
import { git, TestRepo } from '../helpers/git-repo.ts';
import { makeTempDir } from '../helpers/tmp.ts';

type Bag = Record<string, number | string>;
const unionMerge = (a: Bag, b: Bag): Bag => ({ ...b, ...a });
const storeModule = new URL('../../src/git/notes-store.ts', import.meta.url).pathname;

function store(repoDir: string, extra: Partial<ConstructorParameters<typeof GitNotesStore<Bag>>[0]> = {}) {
  return new GitNotesStore<Bag>({ repoDir, ref: 'refs/notes/flinkops-test', merge: unionMerge, ...extra });
}

function tempRefsLeft(dir: string): string[] {
  return git(dir, ['for-each-ref', '--format=%(refname)', 'refs/notes/flinkops-tmp/'])
    .split('\n')
    .filter(Boolean);
}

/** Runs `count` updates adding keys `<prefix>0..` to one commit's note, in a separate node process. */
function writerProcess(repoDir: string, commit: string, prefix: string, count: number): Promise<void> {
  const code = `
    import { GitNotesStore } from ${JSON.stringify(storeModule)};
    const s = new GitNotesStore({ repoDir: ${JSON.stringify(repoDir)}, ref: 'refs/notes/flinkops-test',
      merge: (a, b) => ({ ...b, ...a }) });
    for (let i = 0; i < ${count}; i++) await s.update(${JSON.stringify(commit)}, (cur) => ({ ...cur, ['${prefix}' + i]: i }));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', code],
      { timeout: 120_000, env: { ...process.env, FLINKOPS_LOG_LEVEL: 'silent' } },
      (err, _stdout, stderr) =>
        err ? reject(new Error(`writer ${prefix} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

describe('git notes JSON store', () => {
  const tmp = makeTempDir();
  let repo: TestRepo;
  let c1: string;
  let c2: string;

  before(() => {
    repo = TestRepo.init(join(tmp.dir, 'local'));
    c1 = repo.write('a.yaml', 'a: 1\n').commit('first');
    c2 = repo.write('a.yaml', 'a: 2\n').commit('second');
  });
  after(() => tmp.cleanup());

  it('reads null, writes one JSON object per commit, lists and removes notes', async () => {
    const s = store(repo.dir);
    assert.equal(await s.read(c1), null);
    assert.deepEqual(await s.list(), []);
    await s.update(c1, () => ({ x: 1 }));
    await s.update(c1, (cur) => ({ ...cur, y: 2 }));
    await s.update(c2.slice(0, 12), () => ({ z: 3, u: 'ünï 🙂' }));
    assert.deepEqual(await s.read(c1), { x: 1, y: 2 });
    assert.deepEqual(JSON.parse(repo.git('notes', '--ref=flinkops-test', 'show', c1)), { x: 1, y: 2 });
    assert.deepEqual((await s.list()).sort(), [c1, c2].sort());
    const all = await s.readAll();
    assert.deepEqual(Object.fromEntries(all), { [c1]: { x: 1, y: 2 }, [c2]: { z: 3, u: 'ünï 🙂' } });
    await s.update(c2, () => null);
    assert.equal(await s.read(c2), null);
    assert.deepEqual(await s.list(), [c1]);
    assert.deepEqual(tempRefsLeft(repo.dir), []);
  });

  it('rejects a note that is not JSON with the ref and commit in the message', async () => {
    repo.git('notes', '--ref=flinkops-bad', 'add', '-f', '-m', 'not json', c1);
    const s = new GitNotesStore<Bag>({
      repoDir: repo.dir,
      ref: 'refs/notes/flinkops-bad',
      merge: unionMerge,
    });
    await assert.rejects(s.read(c1), (err: Error) => {
      assert.ok(err instanceof NotesStoreError);
      assert.match(err.message, /refs\/notes\/flinkops-bad/);
      assert.match(err.message, new RegExp(c1));
      return true;
    });
    await assert.rejects(
      s.update('no-such-rev', () => ({})),
      /no commit "no-such-rev"/,
    );
  });

  it('writes notes for a full sha this clone has not fetched yet (workers may lag the poller)', async () => {
    const s = store(repo.dir, { ref: 'refs/notes/flinkops-unfetched' });
    const unknown = 'e'.repeat(40);
    await s.update(unknown, () => ({ early: 1 }));
    assert.deepEqual(await s.read(unknown), { early: 1 });
    assert.deepEqual(await s.list(), [unknown]);
  });

  it('removes temp refs a killed writer left behind, and only those', async () => {
    const ref = 'refs/notes/flinkops-tmp/flinkops-test/';
    const stale = `${ref}snap-${Date.now() - 3_600_000}-4242-1-deadbeef`;
    const fresh = `${ref}snap-${Date.now()}-4242-2-cafebabe`;
    repo.git('update-ref', stale, c1);
    repo.git('update-ref', fresh, c1);
    await store(repo.dir).update(c1, (cur) => ({ ...cur, pruned: 1 }));
    assert.deepEqual(tempRefsLeft(repo.dir), [fresh]);
    repo.git('update-ref', '-d', fresh);
  });

  it('loses nothing when many interleaved updates hit the same and different commits', async () => {
    const s = store(repo.dir, { ref: 'refs/notes/flinkops-many' });
    const other = store(repo.dir, { ref: 'refs/notes/flinkops-many' });
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      jobs.push((i % 2 ? s : other).update(c1, (cur) => ({ ...cur, [`k${i}`]: i })));
      jobs.push(s.update(c2, (cur) => ({ ...cur, [`m${i}`]: i })));
    }
    await Promise.all(jobs);
    const one = await s.read(c1);
    const two = await s.read(c2);
    assert.equal(Object.keys(one ?? {}).length, 12);
    assert.equal(Object.keys(two ?? {}).length, 12);
    for (let i = 0; i < 12; i++) {
      assert.equal(one?.[`k${i}`], i);
      assert.equal(two?.[`m${i}`], i);
    }
    assert.deepEqual(tempRefsLeft(repo.dir), []);
  });

  it('writes a burst of updates as a few notes commits, each update settled with its own result', async () => {
    const local = TestRepo.init(join(tmp.dir, 'burst'));
    const commits = Array.from({ length: 40 }, (_, i) => local.write('f', `${i}`).commit(`c${i}`));
    const s = store(local.dir, { ref: 'refs/notes/flinkops-burst' });
    const results = await Promise.allSettled(
      commits.map((c, i) =>
        s.update(c, (cur) => {
          if (i === 7) throw new Error('mutation 7 refuses');
          return { ...cur, i };
        }),
      ),
    );
    results.forEach((r, i) => {
      if (i === 7) assert.equal(r.status === 'rejected' && (r.reason as Error).message, 'mutation 7 refuses');
      else assert.deepEqual(r.status === 'fulfilled' && r.value, { i });
    });
    const all = await s.readAll();
    assert.equal(all.size, 39);
    assert.equal(all.has(commits[7]), false);
    const notesCommits = Number(local.git('rev-list', '--count', 'refs/notes/flinkops-burst').trim());
    assert.ok(notesCommits < 10, `40 updates took ${notesCommits} notes commits`);
  });

  it('replaces a note wherever it sits in a fanned-out tree, never leaving two for one commit', async () => {
    const local = TestRepo.init(join(tmp.dir, 'fanout'));
    // 300 notes written by git itself: git fans the tree out (xx/<38 hex>)
    const commits = Array.from({ length: 300 }, (_, i) => local.write('f', `${i}`).commit(`c${i}`));
    for (const c of commits) local.git('notes', '--ref=flinkops-fan', 'add', '-m', '{"by":"git"}', c);
    assert.match(local.git('ls-tree', 'refs/notes/flinkops-fan'), /\ttree |\s[0-9a-f]{2}\n/);
    // one note moved to the top level (a tree another tool left mixed); git still reads it
    const moved = commits[5];
    const old = local.git('rev-parse', 'refs/notes/flinkops-fan');
    const body = '{"by":"git"}\n';
    git(
      local.dir,
      ['fast-import', '--quiet'],
      `commit refs/notes/flinkops-fan\ncommitter t <t@t> 1700000000 +0000\ndata 5\nmove\nfrom ${old}\n` +
        `D ${moved.slice(0, 2)}/${moved.slice(2)}\nM 100644 inline ${moved}\ndata ${body.length}\n${body}\n`,
    );
    assert.match(local.git('ls-tree', 'refs/notes/flinkops-fan'), new RegExp(`\\t${moved}$`, 'm'));
    const s = store(local.dir, { ref: 'refs/notes/flinkops-fan' });
    await s.update(moved, (cur) => ({ ...cur, n: 1 }));
    await s.update(commits[6], (cur) => ({ ...cur, n: 2 }));
    await s.update(commits[7], () => null);
    assert.deepEqual(JSON.parse(local.git('notes', '--ref=flinkops-fan', 'show', moved)), {
      by: 'git',
      n: 1,
    });
    assert.deepEqual(JSON.parse(local.git('notes', '--ref=flinkops-fan', 'show', commits[6])), {
      by: 'git',
      n: 2,
    });
    const listed = local.git('notes', '--ref=flinkops-fan', 'list').trim().split('\n');
    assert.equal(listed.length, 299);
    assert.equal(listed.filter((l) => l.endsWith(moved)).length, 1);
    assert.equal(new Set(listed.map((l) => l.split(' ')[1])).size, 299);
    // git's own notes code still reads and writes the tree flinkops wrote
    local.git('notes', '--ref=flinkops-fan', 'add', '-f', '-m', '{"by":"git again"}', commits[8]);
    assert.deepEqual(await s.read(commits[8]), { by: 'git again' });
  });

  it('loses nothing when two processes update the same commit at once', async () => {
    const local = TestRepo.init(join(tmp.dir, 'procs'));
    const commit = local.write('f', '1').commit('c');
    await Promise.all([writerProcess(local.dir, commit, 'a', 8), writerProcess(local.dir, commit, 'b', 8)]);
    const note = await store(local.dir).read(commit);
    assert.equal(Object.keys(note ?? {}).length, 16);
    for (let i = 0; i < 8; i++) {
      assert.equal(note?.[`a${i}`], i);
      assert.equal(note?.[`b${i}`], i);
    }
  });

  describe('with a bare remote', () => {
    let bare: string;
    let cloneA: string;
    let cloneB: string;
    let commit: string;

    before(() => {
      bare = join(tmp.dir, 'remote.git');
      TestRepo.init(bare, { bare: true });
      const seed = TestRepo.init(join(tmp.dir, 'seed'));
      commit = seed.write('x.yaml', 'x: 1\n').commit('seed');
      seed.git('remote', 'add', 'origin', bare);
      seed.git('push', '-q', 'origin', 'main');
      cloneA = join(tmp.dir, 'cloneA');
      cloneB = join(tmp.dir, 'cloneB');
      git(tmp.dir, ['clone', '-q', bare, cloneA]);
      git(tmp.dir, ['clone', '-q', bare, cloneB]);
    });

    it('pushes the notes ref so the remote has the note', async () => {
      await store(cloneA, { ref: 'refs/notes/flinkops-push' }).update(commit, () => ({ pushed: 1 }));
      assert.deepEqual(JSON.parse(git(bare, ['notes', '--ref=flinkops-push', 'show', commit])), {
        pushed: 1,
      });
    });

    it('merges on a rejected push: two clones racing on one commit lose nothing', async () => {
      const a = store(cloneA);
      const b = store(cloneB);
      const jobs: Promise<unknown>[] = [];
      for (let i = 0; i < 8; i++) {
        jobs.push(a.update(commit, (cur) => ({ ...cur, [`a${i}`]: i })));
        jobs.push(b.update(commit, (cur) => ({ ...cur, [`b${i}`]: i })));
      }
      await Promise.all(jobs);
      const remote = JSON.parse(git(bare, ['notes', '--ref=flinkops-test', 'show', commit])) as Bag;
      assert.equal(Object.keys(remote).length, 16, JSON.stringify(remote));
      // a pull brings the other clone's entries in; both converge on the remote's content
      await a.pull();
      await b.pull();
      assert.deepEqual(await a.read(commit), remote);
      assert.deepEqual(await b.read(commit), remote);
      assert.deepEqual(tempRefsLeft(cloneA), []);
      assert.deepEqual(tempRefsLeft(cloneB), []);
    });

    it('two processes in two clones racing on pushes lose nothing', async () => {
      await Promise.all([writerProcess(cloneA, commit, 'p', 6), writerProcess(cloneB, commit, 'q', 6)]);
      const remote = JSON.parse(git(bare, ['notes', '--ref=flinkops-test', 'show', commit])) as Bag;
      for (let i = 0; i < 6; i++) {
        assert.equal(remote[`p${i}`], i);
        assert.equal(remote[`q${i}`], i);
      }
    });

    it('a fresh clone meeting a remote with many notes merges them all in', async () => {
      const seed = join(tmp.dir, 'seed');
      const shas = git(seed, ['rev-list', '--all']).split('\n');
      const many = TestRepo.init(join(tmp.dir, 'manyNotes'));
      const commits: string[] = [];
      for (let i = 0; i < 25; i++) commits.push(many.write('n.txt', String(i)).commit(`c${i}`));
      many.git('remote', 'add', 'origin', bare);
      many.git('push', '-q', 'origin', 'main:many');
      const writer = store(many.dir, { ref: 'refs/notes/flinkops-bulk' });
      await Promise.all(commits.map((c, i) => writer.update(c, () => ({ i }))));
      const fresh = join(tmp.dir, 'freshClone');
      git(tmp.dir, ['clone', '-q', bare, fresh]);
      const reader = store(fresh, { ref: 'refs/notes/flinkops-bulk' });
      await reader.update(shas[0], () => ({ fresh: 1 }));
      const remoteList = git(bare, ['notes', '--ref=flinkops-bulk', 'list']).split('\n');
      assert.equal(remoteList.length, 26);
      assert.equal((await reader.list()).length, 26);
      assert.deepEqual(await reader.read(commits[7]), { i: 7 });
      const all = await reader.readAll();
      assert.equal(all.size, 26);
      for (const [i, c] of commits.entries()) assert.deepEqual(all.get(c), { i });
      assert.deepEqual(await writer.read(commits[7]), { i: 7 });
    });

    it('keeps credentials out of push errors', async () => {
      const dir = join(tmp.dir, 'creds');
      const r = TestRepo.init(dir);
      const sha = r.write('f', '1').commit('c');
      // port 9 on 127.0.0.1: nothing listens, the push fails fast
      r.git('remote', 'add', 'origin', 'http://flinkops:s3cr3t-t0ken@127.0.0.1:9/repo.git');
      const s = store(dir, { secrets: ['s3cr3t-t0ken'] });
      await assert.rejects(
        s.update(sha, () => ({ v: 1 })),
        (err: Error) => {
          assert.ok(err instanceof NotesStoreError);
          assert.doesNotMatch(err.message, /s3cr3t/);
          assert.match(err.message, /cannot push/);
          return true;
        },
      );
      // the local write happened; only the push failed
      assert.deepEqual(await s.read(sha), { v: 1 });
    });
  });
});
