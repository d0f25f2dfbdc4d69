// Every configured credential is scrubbed from the commit statuses flinkops writes, whichever part of
// it writes them (the status bridge with an operator's error text, the poller through the reporter),
// even when the 140-character limit would cut a value in half.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningFlinkops } from '../../src/gitops/run.ts';
import { eventually, type GitopsEnv, startGitopsEnv, statefulManifest } from './gitops-harness.ts';

let env: GitopsEnv;
let flinkops: RunningFlinkops;
let sha: string;

const SECRETS = {
  gitToken: 'gitTok3nValue4Tests',
  'ui.token': 'uiTok3nValue4Tests',
  'ui.user': 'admin',
  'ui.password': 'uiPassw0rdValue4Tests',
  'webhook.githubSecret': 'hookSecretValue4Tests',
  'webhook.genericToken': 'hookTok3nValue4Tests',
};
const values = () =>
  Object.entries(SECRETS)
    .filter(([key]) => key !== 'ui.user')
    .map(([, v]) => v);

before(async () => {
  env = await startGitopsEnv();
  env.work.write('jobs/leak.yaml', statefulManifest('leak', 'flink:1.20.0'));
  sha = env.push('add leak');
  flinkops = await env.start(SECRETS);
});
after(async () => {
  await env.stop();
});

/** the operator's failure of a step, as the worker host reports it */
function failStep(name: string, error: string) {
  flinkops.events.emit('transition-failed', {
    transitionId: `${sha.slice(0, 12)}_streaming_${name}`,
    namespace: 'streaming',
    name,
    commit: sha,
    stepCount: 1,
    jobId: `${sha.slice(0, 12)}_streaming_${name}_0_create`,
    stepIndex: 0,
    action: 'create',
    attempt: 1,
    error,
  });
}

const failure = (name: string) =>
  eventually(`the failure status of ${name}`, () => {
    const status = env.statuses(sha)[`flinkops/streaming/${name}`];
    return status?.state === 'failure' ? status : undefined;
  });

test('an operator error quoting every configured secret: the failure status shows none of them', async () => {
  failStep('leak', `Cannot read s3://state/${values().join('/')}: access denied`);
  const status = await failure('leak');
  assert.match(status.description, /^create failed: Cannot read s3:\/\/state\/\[redacted\]/);
  for (const secret of values()) assert.ok(!status.description.includes(secret), status.description);
});

test('a secret cut in half by the 140-character limit leaves no part of it behind', async () => {
  failStep('cut', `${'x'.repeat(110)} ${SECRETS.gitToken} and more`);
  const status = await failure('cut');
  assert.ok(!status.description.includes(SECRETS.gitToken.slice(0, 6)), status.description);
});

test("the poller's statuses go through the same scrubbing", async () => {
  await flinkops.reporter.report(sha, {
    context: 'flinkops/streaming/poller',
    state: 'failure',
    description: `planning failed: ${SECRETS['webhook.genericToken']}`,
  });
  const status = env.statuses(sha)['flinkops/streaming/poller'];
  assert.equal(status?.description, 'planning failed: [redacted]');
});
