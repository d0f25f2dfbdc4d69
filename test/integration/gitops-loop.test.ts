import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaultMetrics } from '../../src/server/metrics.ts';
import { eventually, type GitopsEnv, startGitopsEnv, statefulManifest } from './gitops-harness.ts';

let env: GitopsEnv;
before(async () => {
  env = await startGitopsEnv();
});
after(async () => {
  await env.stop();
});

const CONTEXT = 'flinkops/streaming/orders';

test('an image bump pushed to the branch runs savepoint-suspend, upgrade, resume and reports pending then success', async () => {
  env.work.write('jobs/orders.yaml', statefulManifest('orders', 'flink:1.20.0'));
  const first = env.push('deploy orders');
  const flinkops = await env.start();
  const initial = await flinkops.pollNow();
  assert.equal(initial?.mode, 'live', 'the very first poll plans against the live cluster');
  assert.deepEqual(
    initial?.planned.map((p) => p.transition.steps.map((s) => s.action)),
    [['create']],
  );
  await eventually('orders created', () => env.statuses(first)[CONTEXT]?.state === 'success');

  const before = await eventually('orders to have a checkpoint', async () => {
    const job = await env.job('streaming', 'orders');
    return job.running && job.offset > 0 ? job : undefined;
  });
  assert.ok(before.offset > 0);

  env.work.write('jobs/orders.yaml', statefulManifest('orders', 'flink:1.20.1'));
  const bump = env.push('bump orders image');
  const outcome = await flinkops.pollNow();
  assert.equal(outcome?.mode, 'incremental');
  assert.deepEqual(
    outcome?.planned.map((p) => p.transition.steps.map((s) => s.action)),
    [['savepoint-suspend', 'upgrade', 'resume']],
  );
  assert.equal(
    env.statuses(bump)[CONTEXT]?.state,
    'pending',
    'right after the poll the commit shows pending',
  );
  const done = await eventually('the bump to succeed', () => {
    const status = env.statuses(bump)[CONTEXT];
    return status && status.state !== 'pending' ? status : undefined;
  });
  assert.equal(done.state, 'success', done.description);

  const job = await env.job('streaming', 'orders');
  assert.equal(job.restoredFrom.kind, 'savepoint');
  assert.equal(job.restoredFrom.mode, 'CLAIM');
  const savepoint = job.savepoints.at(-1);
  assert.ok(savepoint, 'the upgrade took a savepoint');
  assert.equal(job.restoredFrom.offset, savepoint.offset, 'restored exactly from the savepoint');
  assert.ok(job.offset >= savepoint.offset, 'nothing processed before the upgrade was lost');
  assert.ok(savepoint.offset >= before.offset, 'the savepoint holds at least what was processed before');
  const metrics = await defaultMetrics.registry.metrics();
  assert.match(metrics, /^flinkops_savepoints_recorded_total [1-9]/m, 'the savepoint counts in /metrics');
  assert.match(metrics, /^flinkops_transitions_total\{outcome="success"\} [2-9]/m);
  assert.match(metrics, /^flinkops_step_duration_seconds_count\{action="savepoint-suspend"\} 1$/m);
  const live = await (
    await fetch(`${env.sim.url}/apis/flink.apache.org/v1beta1/namespaces/streaming/flinkdeployments/orders`)
  ).json();
  assert.equal(live.spec.image, 'flink:1.20.1');
});
