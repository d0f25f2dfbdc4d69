// Drives the real CLI (`node src/bin/flinkops.mjs plan ...`) on real temp git repositories and checks the
// JSON contract of design.md and the exit codes (0 ok, 1 invalid manifest, 2 bad usage).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { git, TestRepo } from '../helpers/git-repo.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const BIN = new URL('../../src/bin/flinkops.mjs', import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function flinkops(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, FLINKOPS_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function manifest(name: string, image = 'flink:1.20', extra = ''): string {
  return `apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: ${name}
  namespace: streaming
spec:
  image: ${image}
  flinkVersion: v1_20
  flinkConfiguration:
    state.savepoints.dir: s3://sp
    state.checkpoints.dir: s3://cp
  job:
    jarURI: local:///opt/job.jar
    upgradeMode: savepoint${extra}
`;
}

let tmp: { dir: string; cleanup: () => void };
let repo: TestRepo;
let base: string;
let head: string;
let broken: string;

before(() => {
  tmp = makeTempDir('flinkops-plan-cli-');
  repo = TestRepo.init(join(tmp.dir, 'repo'));
  repo.write('apps/orders.yaml', manifest('orders'));
  repo.write('apps/legacy.yaml', manifest('legacy'));
  base = repo.commit('base');
  repo.write('apps/orders.yaml', manifest('orders', 'flink:1.20.1'));
  repo.write('apps/new.yaml', manifest('alpha'));
  repo.remove('apps/legacy.yaml');
  head = repo.commit('upgrade orders, add alpha, drop legacy');
  repo.write('apps/bad.yaml', manifest('bad', 'flink:1.20', '\n    parallelism: many'));
  broken = repo.commit('bad manifest');
});
after(() => tmp.cleanup());

describe('flinkops plan', () => {
  test('prints the JSON contract with full shas, sorted transitions and exit 0', async () => {
    const run = await flinkops(['plan', '--repo', repo.dir, '--base', 'HEAD~2', '--head', 'HEAD~1']);
    assert.equal(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(plan), ['base', 'head', 'transitions', 'errors']);
    assert.equal(plan.base, base);
    assert.equal(plan.head, head);
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(
      plan.transitions.map((t: { name: string; change: string }) => [t.name, t.change]),
      [
        ['alpha', 'create'],
        ['legacy', 'delete'],
        ['orders', 'update'],
      ],
    );
    for (const t of plan.transitions) {
      assert.deepEqual(Object.keys(t), [
        'namespace',
        'name',
        'change',
        'steps',
        'safety',
        'warnings',
        'diff',
      ]);
      assert.equal(t.namespace, 'streaming');
      for (const s of t.steps) assert.deepEqual(Object.keys(s), ['action', 'reason']);
      for (const w of t.warnings) assert.deepEqual(Object.keys(w), ['code', 'message']);
    }
    const orders = plan.transitions[2];
    assert.deepEqual(
      orders.steps.map((s: { action: string }) => s.action),
      ['savepoint-suspend', 'upgrade', 'resume'],
    );
    assert.deepEqual(orders.diff, [{ op: 'replace', path: '/spec/image', value: 'flink:1.20.1' }]);
    const legacy = plan.transitions[1];
    assert.equal(legacy.safety, 'needs-approval');
    assert.deepEqual(
      legacy.warnings.map((w: { code: string }) => w.code),
      ['DELETE_NEEDS_APPROVAL'],
    );
  });

  test('exit 1 when a manifest is invalid, the others still planned', async () => {
    const run = await flinkops(['plan', '--repo', repo.dir, '--base', base, '--head', broken]);
    assert.equal(run.code, 1, run.stderr);
    const plan = JSON.parse(run.stdout);
    assert.equal(plan.head, broken);
    assert.deepEqual(plan.errors, [
      {
        file: 'apps/bad.yaml',
        line: 15,
        column: 18,
        message: 'FlinkDeployment streaming/bad: spec.job.parallelism must be integer (CRD schema)',
      },
    ]);
    assert.equal(plan.transitions.length, 3);
  });

  test("--base '' plans everything at head", async () => {
    const run = await flinkops(['plan', '--repo', repo.dir, '--base', '', '--head', head]);
    assert.equal(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout);
    assert.equal(plan.base, '0000000000000000000000000000000000000000');
    assert.deepEqual(
      plan.transitions.map((t: { name: string; change: string }) => `${t.name}:${t.change}`),
      ['alpha:create', 'orders:create'],
    );
  });

  test('--paths limits the manifest files read', async () => {
    const run = await flinkops([
      'plan',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--paths',
      'apps/new.yaml',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(run.stdout).transitions.map((t: { name: string }) => t.name),
      ['alpha'],
    );
  });

  test('markdown: summary table, then warnings and the diff per deployment', async () => {
    const run = await flinkops([
      'plan',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      broken,
      '--format',
      'markdown',
    ]);
    assert.equal(run.code, 1, run.stderr);
    const md = run.stdout;
    assert.match(md, /\| deployment \| change \| steps \| safety \|/);
    assert.match(
      md,
      /\| streaming\/orders \| update \| `savepoint-suspend` → `upgrade` → `resume` \| safe \|/,
    );
    assert.match(md, /\| streaming\/legacy \| delete \| `guarded-delete` \| ⚠️ needs-approval \|/);
    assert.match(md, /\*\*DELETE_NEEDS_APPROVAL\*\*/);
    assert.match(md, /"path": "\/spec\/image"/);
    assert.match(md, /`apps\/bad.yaml:15:18` FlinkDeployment streaming\/bad/);
    assert.ok(md.indexOf('| deployment |') < md.indexOf('### streaming/alpha'));
  });

  test('exit 2 for an unknown revision, a missing repo, a bad format or a missing option', async () => {
    const unknown = await flinkops(['plan', '--repo', repo.dir, '--base', 'nope', '--head', head]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown revision "nope"/);
    assert.equal(unknown.stdout, '');
    const missingRepo = await flinkops([
      'plan',
      '--repo',
      join(tmp.dir, 'absent'),
      '--base',
      '',
      '--head',
      'HEAD',
    ]);
    assert.equal(missingRepo.code, 2);
    assert.match(missingRepo.stderr, /no such directory/);
    const notGit = await flinkops(['plan', '--repo', tmp.dir, '--base', '', '--head', 'HEAD']);
    assert.equal(notGit.code, 2, notGit.stderr);
    const badFormat = await flinkops([
      'plan',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--format',
      'xml',
    ]);
    assert.equal(badFormat.code, 2);
    const missing = await flinkops(['plan', '--repo', repo.dir, '--head', head]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--base/);
  });

  test('reads from git without touching the work tree', async () => {
    repo.write('apps/orders.yaml', 'uncommitted: edit\n');
    const run = await flinkops(['plan', '--repo', repo.dir, '--base', base, '--head', head]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).transitions.length, 3);
    assert.equal(git(repo.dir, ['status', '--porcelain']), ' M apps/orders.yaml');
  });

  test('a re-created deployment restores from the ledger notes in the repository, read without writing', async () => {
    const other = TestRepo.init(join(tmp.dir, 'ledger-repo'));
    other.write('apps/gone.yaml', manifest('gone'));
    const created = other.commit('gone');
    const note = {
      entries: [
        {
          namespace: 'streaming',
          name: 'gone',
          path: 's3://sp/savepoint-final',
          takenAt: '2026-11-30T10:00:00.000Z',
          commit: created,
          step: 'guarded-delete',
        },
      ],
    };
    other.git('notes', '--ref=flinkops-ledger', 'add', '-m', JSON.stringify(note), created);
    other.remove('apps/gone.yaml');
    const removed = other.commit('retire gone');
    other.write('apps/gone.yaml', manifest('gone'));
    const back = other.commit('gone is back');
    const refsBefore = git(other.dir, ['for-each-ref']);
    const run = await flinkops(['plan', '--repo', other.dir, '--base', removed, '--head', back]);
    assert.equal(run.code, 0, run.stderr);
    const [transition] = JSON.parse(run.stdout).transitions;
    assert.equal(transition.change, 'create');
    assert.match(transition.steps[0].reason, /started from savepoint s3:\/\/sp\/savepoint-final/);
    assert.ok(transition.warnings.some((w: { code: string }) => w.code === 'RESTORE_FROM_LEDGER'));
    assert.equal(git(other.dir, ['for-each-ref']), refsBefore, 'no ref written or moved');
  });
});
