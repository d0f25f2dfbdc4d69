// The simulator's pure rules: Flink durations, the spec change classes (section 1) and the derived
// lifecycleState order (section 2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FlinkDeploymentSpec, FlinkDeploymentStatus } from '../../src/manifests/types.ts';
import { parseFlinkDuration } from '../../src/sim/operator/duration.ts';
import { deriveLifecycleState } from '../../src/sim/operator/lifecycle.ts';
import { diffSpecs, writeReconciled } from '../../src/sim/operator/spec.ts';

describe('Flink durations', () => {
  const cases: [string, number][] = [
    ['10s', 10_000],
    ['1 min', 60_000],
    ['500 ms', 500],
    ['1500', 1_500],
    ['2h', 7_200_000],
    ['3 seconds', 3_000],
    ['1d', 86_400_000],
  ];
  for (const [text, ms] of cases)
    test(`"${text}" is ${ms} ms`, () => assert.equal(parseFlinkDuration(text), ms));
  test('an unknown unit is refused with the text', () => {
    assert.throws(() => parseFlinkDuration('5 fortnights'), /5 fortnights/);
  });
});

const base: FlinkDeploymentSpec = {
  image: 'flink:1.20',
  flinkVersion: 'v1_20',
  flinkConfiguration: { 'state.savepoints.dir': 's3://b/sp' },
  job: { jarURI: 'local:///a.jar', parallelism: 2, upgradeMode: 'savepoint', state: 'running' },
};

/** apply `job` / `config` / top-level edits to a copy of the base spec and classify the change */
function changed(edit: {
  top?: Record<string, unknown>;
  job?: Record<string, unknown>;
  config?: Record<string, string>;
}): string {
  const after = structuredClone(base) as FlinkDeploymentSpec & Record<string, unknown>;
  Object.assign(after, edit.top ?? {});
  Object.assign(after.job!, edit.job ?? {});
  Object.assign(after.flinkConfiguration!, edit.config ?? {});
  return diffSpecs(after, base).type;
}

describe('spec change classes', () => {
  const cases: [string, Parameters<typeof changed>[0], string][] = [
    ['nothing', {}, 'IGNORE'],
    ['upgradeMode alone', { job: { upgradeMode: 'last-state' } }, 'IGNORE'],
    ['savepointTriggerNonce', { job: { savepointTriggerNonce: 3 } }, 'IGNORE'],
    ['initialSavepointPath', { job: { initialSavepointPath: 's3://x' } }, 'IGNORE'],
    ['allowNonRestoredState', { job: { allowNonRestoredState: true } }, 'IGNORE'],
    ['kubernetes.operator.* key', { config: { 'kubernetes.operator.x': '1' } }, 'IGNORE'],
    ['job.autoscaler.* key', { config: { 'job.autoscaler.enabled': 'true' } }, 'IGNORE'],
    ['parallelism.default', { config: { 'parallelism.default': '4' } }, 'IGNORE'],
    ['restartNonce null', { top: { restartNonce: null } }, 'IGNORE'],
    [
      'vertex parallelism overrides',
      { config: { 'pipeline.jobvertex-parallelism-overrides': 'a:1' } },
      'SCALE',
    ],
    ['image', { top: { image: 'flink:1.20.1' } }, 'UPGRADE'],
    ['jarURI', { job: { jarURI: 'local:///b.jar' } }, 'UPGRADE'],
    ['parallelism (native)', { job: { parallelism: 4 } }, 'UPGRADE'],
    ['job.state', { job: { state: 'suspended' } }, 'UPGRADE'],
    ['restartNonce', { top: { restartNonce: 1 } }, 'UPGRADE'],
    ['a plain Flink config key', { config: { 'taskmanager.numberOfTaskSlots': '2' } }, 'UPGRADE'],
    ['flinkVersion', { top: { flinkVersion: 'v2_0' } }, 'UPGRADE'],
    ['savepointRedeployNonce', { job: { savepointRedeployNonce: 1 } }, 'SAVEPOINT_REDEPLOY'],
  ];
  for (const [what, edit, expected] of cases) {
    test(`${what} -> ${expected}`, () => assert.equal(changed(edit), expected));
  }

  test('standalone: parallelism and taskManager.replicas are SCALE', () => {
    const standalone = {
      ...structuredClone(base),
      mode: 'standalone' as const,
      taskManager: { replicas: 1 },
    };
    const after = structuredClone(standalone);
    after.job!.parallelism = 4;
    (after.taskManager as { replicas: number }).replicas = 2;
    assert.equal(diffSpecs(after, standalone).type, 'SCALE');
  });
});

describe('derived lifecycleState, in the operator order', () => {
  const running = writeReconciled(base, false);
  const other = writeReconciled({ ...base, image: 'flink:other' }, false);
  const suspended = writeReconciled({ ...base, job: { ...base.job, state: 'suspended' } }, false);
  const cases: [string, FlinkDeploymentStatus, string][] = [
    ['never deployed', {}, 'CREATED'],
    ['never deployed with an error', { error: '{"message":"x"}' }, 'FAILED'],
    [
      'UPGRADING wins over a suspended spec',
      { reconciliationStatus: { state: 'UPGRADING', lastReconciledSpec: suspended } },
      'UPGRADING',
    ],
    [
      'ROLLING_BACK',
      { reconciliationStatus: { state: 'ROLLING_BACK', lastReconciledSpec: running } },
      'ROLLING_BACK',
    ],
    [
      'suspended spec wins over a FAILED job',
      {
        jobStatus: { state: 'FAILED' },
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: suspended },
      },
      'SUSPENDED',
    ],
    [
      'FAILED job',
      {
        jobStatus: { state: 'FAILED' },
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: running, lastStableSpec: running },
      },
      'FAILED',
    ],
    [
      'JM MISSING with "Manual restore required."',
      {
        jobManagerDeploymentStatus: 'MISSING',
        error: '{"message":"... Manual restore required."}',
        reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: running, lastStableSpec: running },
      },
      'FAILED',
    ],
    [
      'ROLLED_BACK',
      { reconciliationStatus: { state: 'ROLLED_BACK', lastReconciledSpec: other, lastStableSpec: running } },
      'ROLLED_BACK',
    ],
    [
      'reconciled == stable',
      { reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: running, lastStableSpec: running } },
      'STABLE',
    ],
    [
      'reconciled != stable',
      { reconciliationStatus: { state: 'DEPLOYED', lastReconciledSpec: other, lastStableSpec: running } },
      'DEPLOYED',
    ],
  ];
  for (const [what, status, expected] of cases) {
    test(`${what} -> ${expected}`, () => assert.equal(deriveLifecycleState(status), expected));
  }
  test('DELETING set by the controller wins over everything', () => {
    assert.equal(
      deriveLifecycleState({ reconciliationStatus: { state: 'UPGRADING' } }, 'DELETING'),
      'DELETING',
    );
  });
});
