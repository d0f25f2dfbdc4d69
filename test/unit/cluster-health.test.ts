// The health table (Argo CD style): every case in test/fixtures/status-examples/expected-health.yaml is
// a FlinkDeployment fixture and the health a GitOps tool must report for it. Adding a case = adding a file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  assessHealth,
  describeStatus,
  isReconciled,
  isSettled,
  isStable,
  isSuspended,
  LAST_STATE_DUMMY_PATH,
  lastReconciledSpec,
  lastSavepointPath,
  lifecycleState,
  operatorError,
  upgradeSavepointPath,
} from '../../src/cluster/health.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';

const FIXTURES = new URL('../fixtures/status-examples/', import.meta.url).pathname;

interface HealthCase {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

function fixture(file: string): FlinkDeployment {
  return parse(readFileSync(join(FIXTURES, file), 'utf8')) as FlinkDeployment;
}

const table = parse(readFileSync(join(FIXTURES, 'expected-health.yaml'), 'utf8')) as { tests: HealthCase[] };

describe('assessHealth follows the expected-health table', () => {
  it('has cases to check', () => assert.ok(table.tests.length >= 10));
  for (const testCase of table.tests) {
    const file = basename(testCase.inputPath);
    it(`${file} -> ${testCase.healthStatus.status}: ${testCase.healthStatus.message}`, () => {
      assert.deepEqual(assessHealth(fixture(file)), testCase.healthStatus);
    });
  }
});

function withStatus(base: FlinkDeployment, status: NonNullable<FlinkDeployment['status']>): FlinkDeployment {
  return { ...structuredClone(base), status: { ...structuredClone(base.status), ...status } };
}

describe('health details beyond the table', () => {
  it('a missing object is Missing', () => {
    assert.equal(assessHealth(null).status, 'Missing');
  });

  it('a failed deployment reports the operator message, not the raw JSON', () => {
    const obj = withStatus(fixture('failed.yaml'), {
      error: JSON.stringify({
        type: 'org.apache.flink.kubernetes.operator.exception.DeploymentFailedException',
        message: 'ImagePullBackOff',
      }),
    });
    assert.deepEqual(assessHealth(obj), { status: 'Degraded', message: 'ImagePullBackOff' });
  });

  it('a failed job with an error says why', () => {
    const obj = withStatus(fixture('job_failed.yaml'), { error: 'java.lang.RuntimeException: boom' });
    assert.equal(
      assessHealth(obj).message,
      'Job failed, operator recovering: java.lang.RuntimeException: boom',
    );
  });
});

describe('operatorError', () => {
  it('parses the operator JSON', () => {
    const obj = withStatus(fixture('stable.yaml'), {
      error:
        '{"type":"org.apache.flink.kubernetes.operator.exception.UpgradeFailureException","message":"Savepoint failed","additionalMetadata":{},"throwableList":[]}',
    });
    assert.deepEqual(operatorError(obj), {
      type: 'org.apache.flink.kubernetes.operator.exception.UpgradeFailureException',
      message: 'Savepoint failed',
      raw: obj.status?.error,
    });
  });
  it('falls back to raw text', () => {
    const obj = withStatus(fixture('stable.yaml'), { error: 'Job Not Found' });
    assert.deepEqual(operatorError(obj), { message: 'Job Not Found', raw: 'Job Not Found' });
  });
  it('is null without an error, and for an empty one', () => {
    assert.equal(operatorError(fixture('stable.yaml')), null);
    assert.equal(operatorError(withStatus(fixture('stable.yaml'), { error: '' })), null);
  });
});

describe('done helpers decide by the operator, not by jobStatus alone', () => {
  it('stable: generation caught up, DEPLOYED, no error, STABLE, RUNNING', () => {
    const stable = fixture('stable.yaml');
    assert.equal(isReconciled(stable), true);
    assert.equal(isStable(stable), true);
    assert.equal(isSuspended(stable), false);
    assert.equal(isSettled(stable), true);
  });

  it('a RUNNING job whose new generation is not observed yet is not done', () => {
    const obj = fixture('generation_mismatch.yaml');
    assert.equal(obj.status?.jobStatus?.state, 'RUNNING');
    assert.equal(isReconciled(obj), false);
    assert.equal(isStable(obj), false);
  });

  it('a RUNNING job with status.error is not done (failed savepoint keeps the old job running)', () => {
    const obj = withStatus(fixture('stable.yaml'), { error: '{"message":"Savepoint failed"}' });
    assert.equal(isReconciled(obj), false);
    assert.equal(isStable(obj), false);
  });

  it('UPGRADING reconciliation is not done even with lifecycle STABLE written', () => {
    const obj = withStatus(fixture('stable.yaml'), {
      reconciliationStatus: { state: 'UPGRADING' },
    });
    assert.equal(isStable(obj), false);
  });

  it('DEPLOYED but not yet STABLE is reconciled but not stable', () => {
    const obj = fixture('deployed.yaml');
    assert.equal(isReconciled(obj), true);
    assert.equal(isStable(obj), false);
  });

  it('suspended: SUSPENDED lifecycle counts, and settles a spec that says suspended', () => {
    const obj = fixture('suspended.yaml');
    obj.spec.job = { state: 'suspended' };
    assert.equal(isSuspended(obj), true);
    assert.equal(isStable(obj), false);
    assert.equal(isSettled(obj), true);
  });

  it('no status, or no object, is never done', () => {
    assert.equal(isReconciled(fixture('no_status.yaml')), false);
    assert.equal(isSettled(null), false);
  });
});

describe('lifecycleState derivation when the operator did not write it', () => {
  const spec = (state: string) => JSON.stringify({ spec: { job: { state } }, resource_metadata: {} });
  const base = fixture('stable.yaml');
  const derive = (status: NonNullable<FlinkDeployment['status']>) =>
    lifecycleState({ ...base, status: { ...status, lifecycleState: undefined } });

  it('never deployed: CREATED, or FAILED with an error', () => {
    assert.equal(derive({}), 'CREATED');
    assert.equal(derive({ error: 'bad' }), 'FAILED');
  });
  it('UPGRADING before suspended, suspended before job FAILED', () => {
    assert.equal(
      derive({ reconciliationStatus: { state: 'UPGRADING', lastReconciledSpec: spec('suspended') } }),
      'UPGRADING',
    );
    assert.equal(
      derive({
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: spec('suspended') },
        jobStatus: { state: 'FAILED' },
      }),
      'SUSPENDED',
    );
    assert.equal(
      derive({
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: spec('running') },
        jobStatus: { state: 'FAILED' },
      }),
      'FAILED',
    );
  });
  it('STABLE when lastReconciledSpec equals lastStableSpec, else DEPLOYED', () => {
    const s = spec('running');
    assert.equal(
      derive({ reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: s, lastStableSpec: s } }),
      'STABLE',
    );
    assert.equal(
      derive({
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: s, lastStableSpec: spec('x') },
      }),
      'DEPLOYED',
    );
  });
  it('missing JM with "Manual restore required." is FAILED', () => {
    assert.equal(
      derive({
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: spec('running') },
        jobManagerDeploymentStatus: 'MISSING',
        error:
          '{"message":"JobManager deployment is missing and HA metadata is not available to make stateful upgrades. Manual restore required."}',
      }),
      'FAILED',
    );
  });
});

describe('savepoint path readers', () => {
  it('reads upgradeSavepointPath and ignores the last-state dummy', () => {
    const base = fixture('suspended.yaml');
    const obj = withStatus(base, {
      jobStatus: { state: 'FINISHED', upgradeSavepointPath: 's3://sp/savepoint-1' },
    });
    assert.equal(upgradeSavepointPath(obj), 's3://sp/savepoint-1');
    assert.equal(
      upgradeSavepointPath(withStatus(base, { jobStatus: { upgradeSavepointPath: LAST_STATE_DUMMY_PATH } })),
      null,
    );
    assert.equal(upgradeSavepointPath(base), null);
  });
  it('reads savepointInfo.lastSavepoint.location', () => {
    const obj = withStatus(fixture('stable.yaml'), {
      jobStatus: {
        state: 'RUNNING',
        savepointInfo: { lastSavepoint: { location: 'file:///sp/1', triggerType: 'MANUAL' } },
      },
    });
    assert.equal(lastSavepointPath(obj), 'file:///sp/1');
    assert.equal(lastSavepointPath(fixture('stable.yaml')), null);
  });
  it('parses lastReconciledSpec', () => {
    const obj = withStatus(fixture('stable.yaml'), {
      reconciliationStatus: {
        state: 'DEPLOYED',
        lastReconciledSpec: JSON.stringify({ spec: { job: { upgradeMode: 'savepoint' } } }),
      },
    });
    assert.equal(lastReconciledSpec(obj)?.job?.upgradeMode, 'savepoint');
    assert.equal(lastReconciledSpec(fixture('stable.yaml')), null);
  });
  it('describes the status in one line', () => {
    assert.equal(
      describeStatus(fixture('stable.yaml')),
      'lifecycle STABLE, job RUNNING, reconciliation DEPLOYED, generation 2/2',
    );
    assert.equal(describeStatus(null), 'object absent');
  });
});
