import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningFlinkops } from '../../src/gitops/run.ts';
import { type GitopsEnv, startGitopsEnv, statefulManifest } from './gitops-harness.ts';

let env: GitopsEnv;
let flinkops: RunningFlinkops;

before(async () => {
  env = await startGitopsEnv();
  env.work.write('jobs/one.yaml', statefulManifest('one', 'flink:1.20.0'));
  env.work.write('jobs/two.yaml', statefulManifest('two', 'flink:1.20.0'));
  env.push('two jobs');
  flinkops = await env.start({ prRefPatterns: ['refs/heads/feature/*'] });
});
after(async () => {
  await env.stop();
});

function pushBranch(branch: string, change: () => void, message: string): string {
  env.work.git('checkout', '-q', '-B', branch, 'main');
  change();
  const sha = env.work.commit(message);
  env.work.git('push', '-q', '-f', 'origin', branch);
  env.work.git('checkout', '-q', 'main');
  return sha;
}

test('a feature branch with a safe change gets flinkops/plan success and runs nothing', async () => {
  const sha = pushBranch(
    'feature/safe',
    () => env.work.write('jobs/one.yaml', statefulManifest('one', 'flink:1.20.1')),
    'bump one',
  );
  const outcome = await flinkops.pollNow();
  const pr = outcome?.pullRequests?.find((p) => p.ref === 'refs/heads/feature/safe');
  assert.equal(pr?.sha, sha);
  const status = env.statuses(sha)['flinkops/plan'];
  assert.equal(status?.state, 'success');
  assert.equal(status?.description, '1 deployment changes, all safe');
  assert.equal(
    env.statuses(sha)['flinkops/streaming/one'],
    undefined,
    'nothing is executed for a pull request',
  );
});

test('a feature branch that deletes a job gets flinkops/plan failure naming what needs approval', async () => {
  const sha = pushBranch('feature/drop', () => env.work.remove('jobs/two.yaml'), 'drop two');
  await flinkops.pollNow();
  const status = env.statuses(sha)['flinkops/plan'];
  assert.equal(status?.state, 'failure');
  assert.match(status?.description ?? '', /needs approval: streaming\/two/);
  const again = await flinkops.pollNow();
  assert.equal(again?.pullRequests?.length ?? 0, 0, 'an unchanged head is not planned twice');
});
