// The poller's mirror keeps one cat-file process open across fetches: it must see every ref and object
// a later fetch brings (loose or packed, after a gc, after a force-push), answer ancestry like
// `git merge-base --is-ancestor`, come back after the process dies, and never keep node alive when idle.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { BlobReader } from '../../src/git/blob-reader.ts';
import { CommitReadError, commitParents } from '../../src/git/commit-graph.ts';
import { RepoMirror } from '../../src/git/mirror.ts';
import { git, TestRepo } from '../helpers/git-repo.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const tmp = makeTempDir('flinkops-mirror-');
after(() => tmp.cleanup());
let n = 0;

function setup(): { remote: TestRepo; work: TestRepo; mirror: RepoMirror; push(force?: boolean): string } {
  const id = ++n;
  const remote = TestRepo.init(join(tmp.dir, `remote-${id}.git`), { bare: true });
  const work = TestRepo.init(join(tmp.dir, `work-${id}`));
  work.git('remote', 'add', 'origin', remote.dir);
  const mirror = new RepoMirror({
    source: remote.dir,
    branch: 'main',
    workDir: join(tmp.dir, `mirror-${id}`),
  });
  return {
    remote,
    work,
    mirror,
    push(force = false) {
      work.git('push', '-q', ...(force ? ['-f'] : []), 'origin', 'main');
      return work.head();
    },
  };
}

const blobText = async (mirror: RepoMirror, rev: string) =>
  (await mirror.objectReader().contents([rev]))[0]?.content.toString('utf8');

describe('RepoMirror with a long-lived cat-file process', () => {
  let env: ReturnType<typeof setup>;
  /** every commit the mirror fetched, reachable or not */
  const seen: string[] = [];
  before(() => {
    env = setup();
  });
  after(() => env.mirror.close());

  test('each fetch returns the new head, and the open reader reads what the fetch brought', async () => {
    env.work.write('a.yaml', 'one\n').commit('one');
    const first = env.push();
    assert.equal(await env.mirror.fetch(), first);
    const reader = env.mirror.objectReader();
    assert.equal(await blobText(env.mirror, `${first}:a.yaml`), 'one\n');

    // a small fetch leaves loose objects
    env.work.write('a.yaml', 'two\n').commit('two');
    const second = env.push();
    assert.equal(await env.mirror.fetch(), second);
    assert.equal(await blobText(env.mirror, `${second}:a.yaml`), 'two\n');

    // a large one keeps a pack
    for (let i = 0; i < 300; i++) env.work.write(`many/d${i % 10}/f${i}.txt`, `file ${i}\n`);
    const third = env.work.commit('many');
    env.push();
    assert.equal(await env.mirror.fetch(), third);
    assert.equal(await blobText(env.mirror, `${third}:many/d7/f157.txt`), 'file 157\n');
    assert.equal(env.mirror.objectReader(), reader, 'the same process served every read');

    // gc repacks and packs the refs under the open process; then a force-push rewinds the branch
    git(env.mirror.dir, ['gc', '-q']);
    env.work.git('reset', '-q', '--hard', first);
    env.work.write('b.yaml', 'rewound\n').commit('rewound');
    const rewound = env.push(true);
    assert.equal(await env.mirror.fetch(), rewound);
    assert.equal(await blobText(env.mirror, `${rewound}:b.yaml`), 'rewound\n');
    assert.equal(env.mirror.objectReader(), reader);
    seen.push(first, second, third, rewound);
  });

  test('isAncestor agrees with git merge-base --is-ancestor', async () => {
    // a merge whose second parent is the rewound branch's old head
    env.work.git('merge', '-q', '--no-edit', '-s', 'ours', seen[2]);
    const head = env.push();
    assert.equal(await env.mirror.fetch(), head);
    const commits = [...seen, head];
    const cases: [string, string][] = [];
    for (const a of commits) for (const b of commits) cases.push([a, b]);
    cases.push(['0123456789012345678901234567890123456789', head], [head, 'refs/heads/main']);
    for (const [a, b] of cases) {
      const expected = (() => {
        try {
          git(env.mirror.dir, ['merge-base', '--is-ancestor', a, b]);
          return true;
        } catch {
          return false;
        }
      })();
      assert.equal(await env.mirror.isAncestor(a, b), expected, `${a} ancestor of ${b}`);
    }
  });

  test('an old idle reader is replaced (so packs a gc deleted are not held open for days)', async () => {
    const reader = env.mirror.objectReader();
    env.mirror.refreshObjectReader(); // young: kept
    assert.equal(env.mirror.objectReader(), reader);
    const busy = reader.info(['HEAD']);
    env.mirror.refreshObjectReader(0); // old but busy: kept
    assert.equal(env.mirror.objectReader(), reader);
    await busy;
    env.mirror.refreshObjectReader(0);
    const fresh = env.mirror.objectReader();
    assert.notEqual(fresh, reader);
    assert.equal(reader.usable, false);
    const head = await env.mirror.fetch();
    assert.equal(env.mirror.objectReader(), fresh);
    assert.deepEqual(await fresh.resolveCommit('refs/heads/main'), head);
  });

  test('a reader process that died is replaced on the next use', async () => {
    const reader = env.mirror.objectReader();
    (reader as unknown as { child: { kill(): void } }).child.kill();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(reader.usable, false);
    const head = await env.mirror.fetch();
    assert.notEqual(env.mirror.objectReader(), reader);
    assert.equal(await env.mirror.isAncestor(head, head), true);
  });
});

describe('commitParents', () => {
  test('root, single-parent and merge commits; a non-commit is an error', async () => {
    const repo = TestRepo.init(join(tmp.dir, 'parents'));
    const root = repo.write('a', '1').commit('root');
    const child = repo.write('a', '2').commit('child');
    repo.git('checkout', '-q', '-b', 'side', root);
    const side = repo.write('b', '1').commit('side');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--no-edit', 'side');
    const merge = repo.head();
    const reader = new BlobReader(repo.dir);
    try {
      assert.deepEqual(await commitParents(reader, root), []);
      assert.deepEqual(await commitParents(reader, child), [root]);
      assert.deepEqual(await commitParents(reader, merge), [child, side]);
      await assert.rejects(commitParents(reader, `${merge}^{tree}`), CommitReadError);
      await assert.rejects(commitParents(reader, 'no-such-revision'), CommitReadError);
    } finally {
      reader.close();
    }
  });
});

test('an idle open reader does not keep the process alive', async () => {
  const env = setup();
  env.work.write('a.yaml', 'one\n').commit('one');
  env.push();
  const script = join(tmp.dir, 'idle-reader.mts');
  mkdirSync(tmp.dir, { recursive: true });
  writeFileSync(
    script,
    `import { RepoMirror } from ${JSON.stringify(new URL('../../src/git/mirror.ts', import.meta.url).pathname)};
const mirror = new RepoMirror(${JSON.stringify({ source: env.remote.dir, branch: 'main', workDir: join(tmp.dir, 'idle') })});
const head = await mirror.fetch();
console.log((await mirror.parents(head))?.length);
`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
    timeout: 20_000,
  });
  assert.equal(stdout.trim(), '0');
});
