// Reading manifests and plans straight from real git repositories (temp dirs): no checkout, one
// cat-file process, identity by namespace/name across moves, approvals from trailers, bad files reported.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BlobReader } from '../../src/git/blob-reader.ts';
import { changedFiles } from '../../src/git/changed-files.ts';
import { EMPTY_TREE, NULL_SHA, UnknownRevisionError } from '../../src/git/read-revision.ts';
import { approvedDeletes } from '../../src/git/trailers.ts';
import { diffCommits } from '../../src/git/tree-diff.ts';
import { loadManifestsAtRevision, manifestAtRevision } from '../../src/manifests/load-at-revision.ts';
import { leavesRepository } from '../../src/manifests/select-files.ts';
import { planGitRange } from '../../src/plan/plan-git-range.ts';
import { git, TestRepo } from '../helpers/git-repo.ts';
import { makeTempDir } from '../helpers/tmp.ts';

function manifest(
  name: string,
  options: { namespace?: string; image?: string; state?: string } = {},
): string {
  return [
    'apiVersion: flink.apache.org/v1beta1',
    'kind: FlinkDeployment',
    'metadata:',
    `  name: ${name}`,
    ...(options.namespace ? [`  namespace: ${options.namespace}`] : []),
    'spec:',
    `  image: ${options.image ?? 'flink:1.20'}`,
    '  flinkVersion: v1_20',
    '  flinkConfiguration:',
    '    state.savepoints.dir: s3://sp',
    '    state.checkpoints.dir: s3://cp',
    '  job:',
    '    jarURI: local:///opt/job.jar',
    '    upgradeMode: savepoint',
    `    state: ${options.state ?? 'running'}`,
    '',
  ].join('\n');
}

let tmp: { dir: string; cleanup: () => void };
let n = 0;
function newRepo(): TestRepo {
  return TestRepo.init(join(tmp.dir, `repo-${++n}`));
}

before(() => {
  tmp = makeTempDir('flinkops-manifests-git-');
});
after(() => tmp.cleanup());

describe('loadManifestsAtRevision', () => {
  test('reads every *.yaml/*.yml outside dot-folders at a revision, not the work tree', async () => {
    const repo = newRepo();
    repo.write('apps/orders.yaml', manifest('orders', { namespace: 'streaming' }));
    repo.write('apps/deep/payments.yml', manifest('payments'));
    repo.write('.github/workflows/ci.yaml', manifest('hidden'));
    repo.write('README.md', 'not yaml');
    const first = repo.commit('two deployments');
    repo.write('apps/orders.yaml', manifest('orders', { namespace: 'streaming', image: 'flink:1.20.1' }));
    const loaded = await loadManifestsAtRevision(repo.dir, first);
    assert.equal(loaded.commit, first);
    assert.deepEqual([...loaded.entries.keys()].sort(), ['default/payments', 'streaming/orders']);
    assert.equal(loaded.entries.get('streaming/orders')?.manifest.spec.image, 'flink:1.20');
    assert.deepEqual(loaded.errors, []);
  });

  test('--paths globs replace the default selection', async () => {
    const repo = newRepo();
    repo.write('apps/orders.yaml', manifest('orders'));
    repo.write('other/payments.yaml', manifest('payments'));
    const head = repo.commit('x');
    const loaded = await loadManifestsAtRevision(repo.dir, head, { globs: ['apps/**'] });
    assert.deepEqual([...loaded.entries.keys()], ['default/orders']);
  });

  test('symlinks, oversized, binary and non-UTF-8 files are errors at line 1 column 1; the rest is read', async () => {
    const repo = newRepo();
    repo.write('good.yaml', manifest('good'));
    repo.write('big.yaml', `${manifest('big')}# ${'x'.repeat(600)}\n`);
    repo.write('binary.yaml', 'apiVersion: v1\0\0\0');
    symlinkSync('good.yaml', join(repo.dir, 'link.yaml'));
    const head = repo.commit('bad files');
    const loaded = await loadManifestsAtRevision(repo.dir, head, { maxFileBytes: 500 });
    const byFile = Object.fromEntries(loaded.errors.map((e) => [e.file, e]));
    assert.match(byFile['big.yaml'].message, /over the 500-byte limit/);
    assert.match(byFile['binary.yaml'].message, /binary file/);
    assert.match(byFile['link.yaml'].message, /symbolic link/);
    for (const e of loaded.errors) assert.deepEqual([e.line, e.column], [1, 1]);
    assert.deepEqual([...loaded.entries.keys()], ['default/good']);
  });

  test('invalid UTF-8 is an unreadable file', async () => {
    const repo = newRepo();
    writeFileSync(join(repo.dir, 'bad.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    const head = repo.commit('bad bytes');
    const loaded = await loadManifestsAtRevision(repo.dir, head);
    assert.deepEqual(
      loaded.errors.map((e) => [e.file, e.line, e.column]),
      [['bad.yaml', 1, 1]],
    );
    assert.match(loaded.errors[0].message, /UTF-8/);
  });

  test('the same namespace/name twice is an error naming both places; neither is used', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('orders'));
    repo.write('b/c.yaml', `# comment\n${manifest('orders', { namespace: 'default' })}`);
    const head = repo.commit('dup');
    const loaded = await loadManifestsAtRevision(repo.dir, head);
    assert.equal(loaded.entries.size, 0);
    assert.deepEqual(loaded.errors, [
      {
        file: 'b/c.yaml',
        line: 2,
        column: 1,
        message: 'FlinkDeployment default/orders is defined twice: here and at a.yaml:1:1',
      },
    ]);
    assert.ok(loaded.invalidKeys.has('default/orders'));
  });

  test('manifestAtRevision finds the target spec of one deployment', async () => {
    const repo = newRepo();
    repo.write('x.yaml', `${manifest('a')}---\n${manifest('b', { namespace: 'n', image: 'img:2' })}`);
    const head = repo.commit('x');
    const found = await manifestAtRevision(repo.dir, head, 'n', 'b');
    assert.equal(found?.manifest.spec.image, 'img:2');
    assert.equal(found?.line, 16);
    assert.equal(await manifestAtRevision(repo.dir, head, 'n', 'missing'), null);
  });

  test('an unknown revision is an UnknownRevisionError', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    repo.commit('a');
    await assert.rejects(loadManifestsAtRevision(repo.dir, 'no-such-branch'), UnknownRevisionError);
    await assert.rejects(loadManifestsAtRevision(repo.dir, '--all'), UnknownRevisionError);
  });

  test('leavesRepository rejects absolute and climbing paths', () => {
    assert.equal(leavesRepository('../x.yaml'), true);
    assert.equal(leavesRepository('a/../../x.yaml'), true);
    assert.equal(leavesRepository('/etc/x.yaml'), true);
    assert.equal(leavesRepository('a/b..c/x.yaml'), false);
  });
});

describe('BlobReader', () => {
  test('one process answers info and contents in order, missing objects as null', async () => {
    const repo = newRepo();
    repo.write('a.yaml', 'a: 1\n');
    const head = repo.commit('a');
    const reader = new BlobReader(repo.dir);
    try {
      const oid = git(repo.dir, ['rev-parse', `${head}:a.yaml`]);
      const [info, missing] = await reader.info([oid, '0123456789012345678901234567890123456789']);
      assert.deepEqual(info, { oid, type: 'blob', size: 5 });
      assert.equal(missing, null);
      const [content] = await reader.contents([oid]);
      assert.equal(content?.content.toString(), 'a: 1\n');
      assert.equal(await reader.resolveCommit('HEAD'), head);
      assert.equal(await reader.resolveCommit('nope'), null);
    } finally {
      reader.close();
    }
  });
});

describe('diffCommits (tree walk through cat-file)', () => {
  test('gives exactly what git diff --raw --no-renames gives', async () => {
    const repo = newRepo();
    repo.write('keep.yaml', 'a: 1\n');
    repo.write('modify.yaml', 'a: 1\n');
    repo.write('delete.yaml', 'a: 1\n');
    repo.write('exec.sh', 'echo\n');
    repo.write('dir/deep/x.yaml', 'x: 1\n');
    repo.write('dir/deep/y.yaml', 'y: 1\n');
    repo.write('becomes-dir', 'file\n');
    repo.write('gone-dir/a.yaml', 'a\n');
    repo.write('gone-dir/b/c.yaml', 'c\n');
    repo.write('space and ü.yaml', 'u: 1\n');
    repo.write('to-link.yaml', 'l: 1\n');
    const base = repo.commit('base');
    repo.write('modify.yaml', 'a: 2\n');
    repo.remove('delete.yaml');
    chmodSync(join(repo.dir, 'exec.sh'), 0o755);
    repo.write('dir/deep/y.yaml', 'y: 2\n');
    repo.write('dir/new/z.yml', 'z: 1\n');
    rmSync(join(repo.dir, 'becomes-dir'));
    mkdirSync(join(repo.dir, 'becomes-dir'));
    writeFileSync(join(repo.dir, 'becomes-dir/inner.yaml'), 'i: 1\n');
    repo.remove('gone-dir');
    repo.write('gone-dir', 'now a file\n');
    repo.write('space and ü.yaml', 'u: 2\n');
    rmSync(join(repo.dir, 'to-link.yaml'));
    symlinkSync('keep.yaml', join(repo.dir, 'to-link.yaml'));
    const head = repo.commit('everything changes');
    const expected = await changedFiles(repo.dir, base, head);
    const reader = new BlobReader(repo.dir);
    try {
      const actual = await diffCommits(reader, base, head);
      const byPath = (list: typeof expected) =>
        [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      assert.deepEqual(byPath(actual), byPath(expected));
      assert.equal(expected.length, 12);
      assert.deepEqual(await diffCommits(reader, head, head), []);
    } finally {
      reader.close();
    }
  });
});

describe('planGitRange', () => {
  test('a manifest moved to another file is nothing; moved and edited is an update', async () => {
    const repo = newRepo();
    repo.write('old/orders.yaml', manifest('orders'));
    repo.write('old/payments.yaml', manifest('payments'));
    const base = repo.commit('base');
    repo.remove('old');
    repo.write(
      'new/all.yaml',
      `${manifest('orders')}---\n${manifest('payments', { image: 'flink:1.20.1' })}`,
    );
    const head = repo.commit('move');
    const plan = await planGitRange({ repoDir: repo.dir, base, head });
    assert.equal(plan.base, base);
    assert.equal(plan.head, head);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(
      plan.transitions.map((t) => [t.name, t.change, t.steps.map((s) => s.action)]),
      [['payments', 'update', ['savepoint-suspend', 'upgrade', 'resume']]],
    );
  });

  test('a new file defining a deployment an untouched file defines is the error a full plan gives, not a create', async () => {
    const repo = newRepo();
    repo.write('jobs/orders.yaml', manifest('orders', { namespace: 'streaming' }));
    // a name that only contains "orders" must not count
    repo.write('jobs/orders-audit.yaml', manifest('orders-audit', { namespace: 'streaming' }));
    const base = repo.commit('base');
    // copied to start a v2 and edited, but the name was not changed; another new file is a real create
    repo.write('jobs/orders-v2.yaml', manifest('orders', { namespace: 'streaming', image: 'flink:2.0' }));
    repo.write('jobs/payments.yaml', manifest('payments', { namespace: 'streaming' }));
    const head = repo.commit('copy orders');
    const incremental = await planGitRange({ repoDir: repo.dir, base, head });
    const full = await planGitRange({ repoDir: repo.dir, base: '', head });
    const duplicate = {
      file: 'jobs/orders.yaml',
      line: 1,
      column: 1,
      message: 'FlinkDeployment streaming/orders is defined twice: here and at jobs/orders-v2.yaml:1:1',
    };
    assert.deepEqual(incremental.errors, [duplicate]);
    assert.deepEqual(full.errors, [duplicate]);
    assert.deepEqual(
      incremental.transitions.map((t) => [t.name, t.change]),
      [['payments', 'create']],
      'nothing is planned for the duplicated deployment',
    );
  });

  test('removing one of two definitions is an update to the one that stays, not a delete', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('orders'));
    repo.write('b.yaml', manifest('other'));
    const base = repo.commit('base');
    repo.write('b.yaml', manifest('orders', { image: 'flink:1.20.1' }));
    const dup = repo.commit('orders defined twice');
    const broken = await planGitRange({ repoDir: repo.dir, base, head: dup });
    assert.deepEqual(
      broken.errors.map((e) => e.message),
      ['FlinkDeployment default/orders is defined twice: here and at a.yaml:1:1'],
    );
    assert.deepEqual(
      broken.transitions.map((t) => [t.name, t.change, t.safety]),
      [['other', 'delete', 'needs-approval']],
    );
    repo.remove('b.yaml');
    const fixed = repo.commit('drop the copy');
    const plan = await planGitRange({ repoDir: repo.dir, base: dup, head: fixed });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(
      plan.transitions.map((t) => [t.name, t.change]),
      [['orders', 'update']],
      'from the removed definition to the one that stays (flink:1.20.1 -> flink:1.20), never a delete',
    );
  });

  test('commit ids, annotated tag ids and unknown ids given as base and head', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    const base = repo.commit('base');
    repo.git('tag', '-a', '-m', 'release', 'v1', base);
    const tagId = repo.git('rev-parse', 'v1');
    assert.notEqual(tagId, base);
    repo.write('a.yaml', manifest('a', { image: 'flink:1.20.1' }));
    const head = repo.commit('bump');
    const steps = (plan: Awaited<ReturnType<typeof planGitRange>>) =>
      plan.transitions.map((t) => [t.name, t.change]);
    const byIds = await planGitRange({ repoDir: repo.dir, base, head });
    assert.deepEqual(steps(byIds), [['a', 'update']]);
    const byTag = await planGitRange({ repoDir: repo.dir, base: tagId, head });
    assert.equal(byTag.base, base);
    assert.deepEqual(steps(byTag), [['a', 'update']]);
    await assert.rejects(
      planGitRange({ repoDir: repo.dir, base: '1'.repeat(40), head }),
      UnknownRevisionError,
    );
  });

  test('deletes need approval unless a commit in base..head carries the trailer', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    repo.write('b.yaml', manifest('b'));
    const base = repo.commit('base');
    repo.remove('a.yaml').remove('b.yaml');
    git(repo.dir, ['add', '-A']);
    git(repo.dir, [
      'commit',
      '-q',
      '-m',
      'remove both\n\nFlinkops-Approve-Delete: default/b\nFlinkops-Approve-Delete: other/a',
    ]);
    const head = repo.head();
    assert.deepEqual([...(await approvedDeletes(repo.dir, base, head))].sort(), ['default/b', 'other/a']);
    const plan = await planGitRange({ repoDir: repo.dir, base, head });
    assert.deepEqual(
      plan.transitions.map((t) => [t.name, t.change, t.safety]),
      [
        ['a', 'delete', 'needs-approval'],
        ['b', 'delete', 'safe'],
      ],
    );
    // an approval before base does not count
    const later = repo.write('c.yaml', manifest('c')).commit('add c');
    assert.deepEqual([...(await approvedDeletes(repo.dir, head, later))], []);
  });

  test("'', the null sha and the empty tree all mean a full plan", async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    repo.write('b.yaml', manifest('b', { state: 'suspended' }));
    const head = repo.commit('two');
    for (const base of ['', NULL_SHA, EMPTY_TREE]) {
      const plan = await planGitRange({ repoDir: repo.dir, base, head });
      assert.equal(plan.base, NULL_SHA);
      assert.deepEqual(
        plan.transitions.map((t) => [t.name, t.change]),
        [
          ['a', 'create'],
          ['b', 'create'],
        ],
      );
    }
  });

  test('a head file that cannot be parsed does not turn its deployments into deletes', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    repo.write('b.yaml', manifest('b'));
    const base = repo.commit('base');
    repo.write('a.yaml', `${manifest('a')}  broken: [\n`);
    repo.write('b.yaml', manifest('b', { image: 'flink:2' }));
    const head = repo.commit('break a');
    const plan = await planGitRange({ repoDir: repo.dir, base, head });
    assert.equal(plan.errors.length, 1);
    assert.equal(plan.errors[0].file, 'a.yaml');
    assert.deepEqual(
      plan.transitions.map((t) => [t.name, t.change]),
      [['b', 'update']],
    );
  });

  test('a schema-invalid deployment at head is reported and not planned', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    const base = repo.commit('base');
    repo.write('a.yaml', manifest('a').replace('upgradeMode: savepoint', 'upgradeMode: never'));
    const head = repo.commit('bad mode');
    const plan = await planGitRange({ repoDir: repo.dir, base, head });
    assert.deepEqual(plan.transitions, []);
    assert.deepEqual(
      plan.errors.map((e) => [e.file, e.line, e.column]),
      [['a.yaml', 13, 18]],
    );
  });

  test('works on a bare mirror (no work tree) and never touches the repository', async () => {
    const repo = newRepo();
    repo.write('a.yaml', manifest('a'));
    const base = repo.commit('a');
    repo.write('a.yaml', manifest('a', { state: 'suspended' }));
    const head = repo.commit('suspend');
    const bare = join(tmp.dir, `bare-${++n}.git`);
    git(tmp.dir, ['clone', '-q', '--bare', repo.dir, bare]);
    const refsBefore = git(bare, ['for-each-ref']);
    const plan = await planGitRange({ repoDir: bare, base, head });
    assert.deepEqual(
      plan.transitions.map((t) => t.steps.map((s) => s.action)),
      [['savepoint-suspend']],
    );
    assert.equal(git(bare, ['for-each-ref']), refsBefore);
    assert.equal(git(repo.dir, ['status', '--porcelain']), '');
  });
});
