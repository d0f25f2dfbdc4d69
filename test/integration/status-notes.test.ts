// The default reporter: statuses as git notes in exactly design.md's format, on real repositories
// with a bare remote; concurrent writers (promises, processes, clones) lose nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createReporter, NotesStatusReporter, transitionStatus } from '../../src/status/index.ts';
import { mergeStatusNotes, type StatusNote } from '../../src/status/notes.ts';
import { git, TestRepo } from '../helpers/git-repo.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const indexModule = new URL('../../src/status/index.ts', import.meta.url).pathname;

/** The note exactly as git shows it, parsed: what outside tools read. */
function showNote(dir: string, sha: string): StatusNote {
  return JSON.parse(git(dir, ['notes', '--ref=flinkops', 'show', sha]));
}

/** Reports `count` contexts `flinkops/<ns>/job<i>` as success from a separate node process. */
function reporterProcess(repoDir: string, commit: string, ns: string, count: number): Promise<void> {
  const code = `
    import { NotesStatusReporter, transitionStatus } from ${JSON.stringify(indexModule)};
    const r = new NotesStatusReporter({ repoDir: ${JSON.stringify(repoDir)} });
    await Promise.all(Array.from({ length: ${count} }, async (_, i) => {
      await r.report(${JSON.stringify(commit)}, { ...transitionStatus.queued(${JSON.stringify(ns)}, 'job' + i, ['upgrade']), updatedAt: new Date().toISOString() });
      await r.report(${JSON.stringify(commit)}, { ...transitionStatus.succeeded(${JSON.stringify(ns)}, 'job' + i, ['upgrade']), updatedAt: new Date(Date.now() + 1).toISOString() });
    }));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', code],
      { timeout: 180_000, env: { ...process.env, FLINKOPS_LOG_LEVEL: 'silent' } },
      (err, _stdout, stderr) =>
        err ? reject(new Error(`reporter ${ns} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}

describe('git notes status reporter', () => {
  const tmp = makeTempDir();
  let bare: string;
  let work: TestRepo;
  let sha: string;

  before(() => {
    bare = join(tmp.dir, 'remote.git');
    TestRepo.init(bare, { bare: true });
    work = TestRepo.init(join(tmp.dir, 'work'));
    sha = work.write('jobs/orders.yaml', 'kind: FlinkDeployment\n').commit('add orders');
    work.git('remote', 'add', 'origin', bare);
    work.git('push', '-q', 'origin', 'main');
  });
  after(() => tmp.cleanup());

  it('writes pending then success for a context, in the contract format, on the remote too', async () => {
    const reporter = createReporter({
      provider: 'notes',
      repoDir: work.dir,
      policy: { attempts: 2, baseDelayMs: 5 },
    });
    const queued = await reporter.reportWithOutcome(
      sha,
      transitionStatus.queued(
        'prod',
        'orders',
        ['savepoint-suspend', 'upgrade', 'resume'],
        'http://ui/flow/1',
      ),
    );
    assert.equal(queued.ok, true, queued.error);
    const pending = showNote(work.dir, sha);
    assert.deepEqual(Object.keys(pending), ['statuses']);
    const entry = pending.statuses['flinkops/prod/orders'];
    assert.deepEqual(Object.keys(entry).sort(), ['description', 'state', 'targetUrl', 'updatedAt']);
    assert.equal(entry.state, 'pending');
    assert.equal(entry.description, 'queued: savepoint-suspend, upgrade, resume');
    assert.equal(entry.targetUrl, 'http://ui/flow/1');
    assert.match(entry.updatedAt, ISO);

    await reporter.report(sha, transitionStatus.step('prod', 'orders', 2, 3, 'upgrade', 'http://ui/flow/1'));
    assert.equal(showNote(work.dir, sha).statuses['flinkops/prod/orders'].description, 'step 2/3: upgrade');
    await reporter.report(
      sha,
      transitionStatus.succeeded('prod', 'orders', ['savepoint-suspend', 'upgrade', 'resume']),
    );
    const done = showNote(work.dir, sha).statuses['flinkops/prod/orders'];
    assert.equal(done.state, 'success');
    assert.ok(done.updatedAt >= entry.updatedAt);
    assert.equal('targetUrl' in done, false);
    // pushed: the bare remote shows the same note
    assert.deepEqual(showNote(bare, sha), showNote(work.dir, sha));
  });

  it('preserves other contexts and keys it does not own', async () => {
    const other = work.write('jobs/orders.yaml', 'kind: FlinkDeployment # 2\n').commit('second');
    work.git(
      'notes',
      '--ref=flinkops',
      'add',
      '-f',
      '-m',
      JSON.stringify({
        statuses: {
          'flinkops/plan': { state: 'success', description: 'safe', updatedAt: '2026-01-01T00:00:00.000Z' },
        },
        reviewedBy: 'someone',
      }),
      other,
    );
    const reporter = new NotesStatusReporter({ repoDir: work.dir });
    await reporter.report(other, { ...transitionStatus.needsApproval('prod', 'orders') });
    const note = showNote(work.dir, other);
    assert.equal(note.reviewedBy, 'someone');
    assert.deepEqual(note.statuses['flinkops/plan'], {
      state: 'success',
      description: 'safe',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    assert.equal(note.statuses['flinkops/prod/orders'].state, 'failure');
    assert.equal(
      note.statuses['flinkops/prod/orders'].description,
      'needs approval: add trailer Flinkops-Approve-Delete: prod/orders',
    );
  });

  it('never lets a late retry of an older status overwrite a newer one', async () => {
    const reporter = new NotesStatusReporter({ repoDir: work.dir, remote: false });
    const c = work.write('late.txt', '1').commit('late');
    await reporter.report(c, {
      ...transitionStatus.succeeded('prod', 'late', []),
      updatedAt: '2026-11-25T10:00:01.000Z',
    });
    await reporter.report(c, {
      ...transitionStatus.queued('prod', 'late', ['upgrade']),
      updatedAt: '2026-11-25T10:00:00.000Z',
    });
    assert.equal((await reporter.read(c))['flinkops/prod/late'].state, 'success');
  });

  it('merges per context with the newest updatedAt winning, the same from both sides', () => {
    const a: StatusNote = {
      statuses: {
        x: { state: 'pending', description: 'q', updatedAt: '2026-01-01T00:00:00.000Z' },
        y: { state: 'success', description: 'done', updatedAt: '2026-01-01T00:00:05.000Z' },
      },
    };
    const b: StatusNote = {
      statuses: {
        x: { state: 'success', description: 'done', updatedAt: '2026-01-01T00:00:03.000Z' },
        z: { state: 'failure', description: 'f', updatedAt: '2026-01-01T00:00:01.000Z' },
      },
    };
    const ab = mergeStatusNotes(a, b);
    assert.deepEqual(ab, mergeStatusNotes(b, a));
    assert.equal(ab.statuses.x.state, 'success');
    assert.deepEqual(Object.keys(ab.statuses).sort(), ['x', 'y', 'z']);
  });

  it('many interleaved reports on one commit from two reporters lose nothing', async () => {
    const c = work.write('many.txt', '1').commit('many');
    const r1 = new NotesStatusReporter({ repoDir: work.dir });
    const r2 = new NotesStatusReporter({ repoDir: work.dir });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? r1 : r2).report(c, {
          ...transitionStatus.queued('ns', `job${i}`, ['create']),
          updatedAt: new Date().toISOString(),
        }),
      ),
    );
    const note = showNote(bare, c);
    assert.equal(Object.keys(note.statuses).length, 10);
  });

  it('two workers in two clones of one remote racing from two processes lose nothing', async () => {
    const cloneA = join(tmp.dir, 'workerA');
    const cloneB = join(tmp.dir, 'workerB');
    git(tmp.dir, ['clone', '-q', bare, cloneA]);
    git(tmp.dir, ['clone', '-q', bare, cloneB]);
    await Promise.all([reporterProcess(cloneA, sha, 'team-a', 4), reporterProcess(cloneB, sha, 'team-b', 4)]);
    const note = showNote(bare, sha);
    for (const ns of ['team-a', 'team-b']) {
      for (let i = 0; i < 4; i++) {
        const entry = note.statuses[`flinkops/${ns}/job${i}`];
        assert.ok(entry, `missing flinkops/${ns}/job${i} in ${JSON.stringify(Object.keys(note.statuses))}`);
        assert.equal(entry.state, 'success');
      }
    }
    // the earlier statuses on that commit survived the race as well
    assert.equal(note.statuses['flinkops/prod/orders'].state, 'success');
  });
});
