// Status contexts and descriptions: the wording issue 5 asks for, the 140-character limit, the
// operator's error text made readable, secrets scrubbed, and configuration errors that name the setting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gitlabState } from '../../src/status/gitlab.ts';
import {
  createReporter,
  deploymentContext,
  describeFailure,
  describeQueued,
  describeStep,
  describeSuperseded,
  operatorErrorText,
  PLAN_CONTEXT,
  planStatus,
  StatusConfigError,
  scrubSecrets,
  shortenDescription,
  transitionStatus,
} from '../../src/status/index.ts';

describe('status descriptions', () => {
  it('names contexts and steps the way the issue says', () => {
    assert.equal(deploymentContext('prod', 'orders'), 'flinkops/prod/orders');
    assert.equal(PLAN_CONTEXT, 'flinkops/plan');
    assert.equal(
      describeQueued(['savepoint-suspend', 'upgrade', 'resume']),
      'queued: savepoint-suspend, upgrade, resume',
    );
    assert.equal(describeStep(2, 3, 'upgrade'), 'step 2/3: upgrade');
    assert.equal(
      describeSuperseded('0123456789abcdef0123456789abcdef01234567'),
      'superseded by 0123456789ab',
    );
    assert.deepEqual(transitionStatus.needsApproval('prod', 'orders'), {
      context: 'flinkops/prod/orders',
      state: 'failure',
      description: 'needs approval: add trailer Flinkops-Approve-Delete: prod/orders',
    });
    assert.equal(
      transitionStatus.superseded('a', 'b', 'f'.repeat(40)).description,
      `superseded by ${'f'.repeat(12)}`,
    );
  });

  it("turns the operator's JSON error into its message and shortens it to 140 characters", () => {
    const raw = JSON.stringify({
      type: 'org.apache.flink.kubernetes.operator.exception.DeploymentFailedException',
      message: 'pods "orders-jm" is forbidden: exceeded quota',
      additionalMetadata: {},
      throwableList: [],
    });
    assert.equal(
      operatorErrorText(raw),
      'DeploymentFailedException: pods "orders-jm" is forbidden: exceeded quota',
    );
    assert.equal(operatorErrorText('plain text'), 'plain text');
    const long = describeFailure('upgrade', `${'word '.repeat(60)}\nsecond line`);
    assert.equal(Array.from(long).length, 140);
    assert.ok(long.endsWith('…'));
    assert.ok(!long.includes('\n'));
    // characters, not UTF-16 units: 140 emoji fit
    assert.equal(Array.from(shortenDescription('🙂'.repeat(200))).length, 140);
  });

  it('scrubs credentials from descriptions', () => {
    const text = scrubSecrets(
      'push to https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123@github.com failed; Authorization: Bearer abc.def.ghi123; password=hunter2 PRIVATE-TOKEN: glpat-aaaaaaaaaaaaaaaaaaaa',
      ['hunter2'],
    );
    for (const secret of ['ghs_', 'abc.def.ghi123', 'hunter2', 'glpat-'])
      assert.ok(!text.includes(secret), text);
    assert.match(text, /https:\/\/\[redacted\]@github\.com/);
    assert.ok(!describeFailure('savepoint', 'to s3://AKIAABCDEFGHIJKLMNOP:pw@bucket').includes('AKIA'));
  });

  it('summarises a pull-request plan as flinkops/plan', () => {
    const t = (name: string, change: string, safety: 'safe' | 'needs-approval' | 'state-loss') => ({
      namespace: 'prod',
      name,
      change,
      safety,
    });
    assert.deepEqual(
      planStatus({
        transitions: [t('a', 'update', 'safe'), t('b', 'create', 'safe'), t('c', 'update', 'safe')],
        errors: [],
      }),
      {
        context: 'flinkops/plan',
        state: 'success',
        description: 'safe: 3 transitions (2 update, 1 create)',
      },
    );
    assert.equal(planStatus({ transitions: [], errors: [] }).description, 'no FlinkDeployment changes');
    const bad = planStatus(
      {
        transitions: [
          t('a', 'delete', 'needs-approval'),
          t('b', 'update', 'state-loss'),
          t('c', 'update', 'safe'),
        ],
        errors: [
          { file: 'jobs/x.yaml', line: 3, message: 'spec.job.jarURI: required' },
          { file: 'jobs/y.yaml', line: 1, message: 'bad' },
        ],
      },
      'http://ui/plan',
    );
    assert.equal(bad.state, 'failure');
    assert.equal(
      bad.description,
      'invalid manifest jobs/x.yaml:3: spec.job.jarURI: required (+1 more); loses state: prod/b; needs approval: prod/a',
    );
    assert.equal(bad.targetUrl, 'http://ui/plan');
  });

  it("maps to GitLab's states", () => {
    assert.equal(gitlabState('pending', 'queued: upgrade'), 'pending');
    assert.equal(gitlabState('pending', 'step 1/2: upgrade'), 'running');
    assert.equal(gitlabState('error', 'x'), 'failed');
    assert.equal(gitlabState('failure', 'x'), 'failed');
    assert.equal(gitlabState('success', 'x'), 'success');
  });

  it('rejects bad reporter configuration naming each setting', () => {
    const problems = (config: unknown): string[] => {
      try {
        createReporter(config);
      } catch (err) {
        assert.ok(err instanceof StatusConfigError);
        return err.problems;
      }
      assert.fail('expected a StatusConfigError');
    };
    assert.match(problems({ provider: 'bitbucket' })[0], /^status\.provider: /);
    assert.deepEqual(
      problems({ provider: 'github', token: '', owner: 'acme', repo: 'x', baseUrl: 'not a url' }).map(
        (p) => p.split(':')[0],
      ),
      ['status.token', 'status.baseUrl'],
    );
    assert.deepEqual(problems({ provider: 'gitlab', token: 't', projectId: 'g/p', hots: 'x' }), [
      'status.hots: unknown setting',
    ]);
    assert.match(
      problems({ provider: 'notes', repoDir: '/x', ref: 'flinkops' })[0],
      /^status\.ref: must be a full ref/,
    );
  });
});
