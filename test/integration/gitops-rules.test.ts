// The GitOps loop's rules (issue 5), each on its own deployment of one shared environment.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningFlinkops } from '../../src/gitops/run.ts';
import { eventually, type GitopsEnv, startGitopsEnv, statefulManifest } from './gitops-harness.ts';

let env: GitopsEnv;
let flinkops: RunningFlinkops;
const JOBS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];

const api = (name: string) =>
  `${env.sim.url}/apis/flink.apache.org/v1beta1/namespaces/streaming/flinkdeployments/${name}`;
const live = async (name: string) => {
  const res = await fetch(api(name));
  return res.status === 404
    ? null
    : ((await res.json()) as { spec: { image: string }; metadata: Record<string, unknown> });
};
const finalState = (sha: string, name: string) =>
  eventually(`a final status of ${name} on ${sha.slice(0, 8)}`, () => {
    const status = env.statuses(sha)[`flinkops/streaming/${name}`];
    return status && status.state !== 'pending' ? status : undefined;
  });

before(async () => {
  env = await startGitopsEnv();
  for (const name of JOBS) {
    env.work.write(`jobs/${name}.yaml`, statefulManifest(name, 'flink:1.20.0'));
  }
  const first = env.push('seven jobs');
  flinkops = await env.start();
  await flinkops.pollNow();
  for (const name of JOBS) {
    const status = await finalState(first, name);
    assert.equal(status.state, 'success');
    assert.equal(status.description, 'done: create', 'a success names the steps it ran');
  }
});
after(async () => {
  await env.stop();
});

test('two commits pushed before a poll: one transition to the newest spec, the older commit says superseded', async () => {
  env.work.write('jobs/alpha.yaml', statefulManifest('alpha', 'flink:1.20.1'));
  const older = env.push('alpha 1.20.1');
  env.work.write('jobs/alpha.yaml', statefulManifest('alpha', 'flink:1.20.2'));
  const newer = env.push('alpha 1.20.2');
  const outcome = await flinkops.pollNow();
  assert.equal(outcome?.planned.filter((p) => p.key === 'streaming/alpha').length, 1);
  const done = await finalState(newer, 'alpha');
  assert.equal(done.state, 'success');
  assert.equal(done.description, 'done: savepoint-suspend, upgrade, resume');
  const skipped = env.statuses(older)['flinkops/streaming/alpha'];
  assert.equal(skipped?.state, 'success');
  assert.equal(skipped?.description, `superseded by ${newer.slice(0, 12)}`);
  assert.equal((await live('alpha'))?.spec.image, 'flink:1.20.2');
});

test('a force-push back to an older spec is planned against the live object and applied', async () => {
  const base = env.work.head();
  env.work.write('jobs/bravo.yaml', statefulManifest('bravo', 'flink:1.21.0'));
  const forward = env.push('bravo 1.21');
  await flinkops.pollNow();
  assert.equal((await finalState(forward, 'bravo')).state, 'success');
  assert.equal((await live('bravo'))?.spec.image, 'flink:1.21.0');

  env.work.git('reset', '-q', '--hard', base);
  env.work.write('NOTES.md', 'rolled back bravo\n');
  const rewound = env.push('rewind bravo', { force: true });
  const outcome = await flinkops.pollNow();
  assert.equal(outcome?.mode, 'live');
  const bravo = outcome?.planned.find((p) => p.key === 'streaming/bravo');
  assert.ok(bravo, 'bravo is planned (live 1.21.0 vs manifest 1.20.0)');
  assert.deepEqual(
    bravo.transition.steps.map((s) => s.action),
    ['savepoint-suspend', 'upgrade', 'resume'],
  );
  assert.equal((await finalState(rewound, 'bravo')).state, 'success');
  assert.equal((await live('bravo'))?.spec.image, 'flink:1.20.0');
});

test('a removed manifest waits for approval; a later commit with the trailer takes a final savepoint and deletes', async () => {
  env.work.remove('jobs/charlie.yaml');
  const removal = env.push('retire charlie');
  await flinkops.pollNow();
  const blocked = env.statuses(removal)['flinkops/streaming/charlie'];
  assert.equal(blocked?.state, 'failure');
  assert.equal(
    blocked?.description,
    'needs approval: add trailer Flinkops-Approve-Delete: streaming/charlie',
  );
  assert.ok(await live('charlie'), 'nothing deleted without approval');

  const approval = env.push('approve retiring charlie\n\nFlinkops-Approve-Delete: streaming/charlie');
  const outcome = await flinkops.pollNow();
  assert.deepEqual(
    outcome?.planned.find((p) => p.key === 'streaming/charlie')?.transition.steps.map((s) => s.action),
    ['guarded-delete'],
  );
  assert.equal((await finalState(approval, 'charlie')).state, 'success');
  assert.equal(await live('charlie'), null, 'deleted');
  // the removal commit no longer shows the red "needs approval": the approved delete carried it out
  const carried = await eventually('the blocked removal commit to be superseded', () => {
    const status = env.statuses(removal)['flinkops/streaming/charlie'];
    return status?.state === 'success' ? status : undefined;
  });
  assert.equal(carried.description, `superseded by ${approval.slice(0, 12)}`);
  const storage = (await (await fetch(`${env.sim.url}/sim/v1/storage`)).json()) as {
    items: { name: string; kind: string; path: string }[];
  };
  const savepoints = storage.items.filter((i) => i.name === 'charlie' && i.kind === 'savepoint');
  assert.ok(savepoints.length >= 1, 'a final savepoint exists in storage');
  const ledgerNotes = env.remote.git('notes', '--ref=flinkops-ledger', 'show', approval);
  assert.ok(
    savepoints.some((s) => ledgerNotes.includes(s.path)),
    'the final savepoint is recorded in the ledger note of the approving commit',
  );
});

test('a blocked delete undone by a later commit: the removal commit ends superseded by it', async () => {
  const removed = async (message: string) => {
    env.work.remove('jobs/golf.yaml');
    const sha = env.push(message);
    await flinkops.pollNow();
    assert.equal(env.statuses(sha)['flinkops/streaming/golf']?.state, 'failure', 'blocked for approval');
    return sha;
  };
  const superseded = (sha: string, by: string) =>
    eventually(`${sha.slice(0, 8)} to be superseded by ${by.slice(0, 8)}`, () => {
      const status = env.statuses(sha)['flinkops/streaming/golf'];
      return status?.description === `superseded by ${by.slice(0, 12)}` ? status : undefined;
    });

  // brought back with a change: superseded once that change's transition succeeds
  const removal = await removed('retire golf');
  env.work.write('jobs/golf.yaml', statefulManifest('golf', 'flink:1.20.1'));
  const back = env.push('keep golf after all, on 1.20.1');
  await flinkops.pollNow();
  assert.equal((await finalState(back, 'golf')).state, 'success');
  assert.equal((await superseded(removal, back)).state, 'success');
  assert.equal((await live('golf'))?.spec.image, 'flink:1.20.1');

  // brought back as it runs: nothing to do, superseded at once
  const again = await removed('retire golf again');
  env.work.write('jobs/golf.yaml', statefulManifest('golf', 'flink:1.20.1'));
  const restored = env.push('keep golf as it is');
  const outcome = await flinkops.pollNow();
  assert.ok(outcome?.inSync.includes('streaming/golf'));
  assert.equal((await superseded(again, restored)).state, 'success');
});

test('a deployment created suspended (never started) is deleted with approval, its status saying no state existed', async () => {
  env.work.write('jobs/hotel.yaml', statefulManifest('hotel', 'flink:1.20.0', { state: 'suspended' }));
  const created = env.push('hotel, not started yet');
  await flinkops.pollNow();
  assert.equal((await finalState(created, 'hotel')).description, 'done: create');
  env.work.remove('jobs/hotel.yaml');
  const removal = env.push('drop hotel\n\nFlinkops-Approve-Delete: streaming/hotel');
  await flinkops.pollNow();
  const done = await finalState(removal, 'hotel');
  assert.equal(done.state, 'success', done.description);
  assert.equal(done.description, 'done: guarded-delete (no state existed, no final savepoint taken)');
  assert.equal(await live('hotel'), null, 'deleted');
});

test('a savepoint fault fails the commit with the cause; after the fix a retry succeeds on the same commit', async () => {
  const patch = await fetch(api('delta'), {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations: { 'sim.flinkops.io/savepoint': 'fail' } } }),
  });
  assert.equal(patch.status, 200);
  env.work.write('jobs/delta.yaml', statefulManifest('delta', 'flink:1.20.3'));
  const bump = env.push('delta 1.20.3');
  const outcome = await flinkops.pollNow();
  const planned = outcome?.planned.find((p) => p.key === 'streaming/delta');
  assert.ok(planned?.transitionId);
  const failed = await finalState(bump, 'delta');
  assert.equal(failed.state, 'failure');
  assert.match(failed.description, /^savepoint-suspend failed: /);
  assert.equal((await live('delta'))?.spec.image, 'flink:1.20.0', 'the job stays on the old spec');

  await fetch(api('delta'), {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations: { 'sim.flinkops.io/savepoint': null } } }),
  });
  const failedJob = (await flinkops.queue.queue.getFailed()).find(
    (j) => j.data.transitionId === planned.transitionId,
  );
  assert.ok(failedJob, 'the failed step waits in the queue');
  await failedJob.retry('failed');
  const done = await eventually('delta to succeed after the retry', () => {
    const status = env.statuses(bump)['flinkops/streaming/delta'];
    return status?.state === 'success' ? status : undefined;
  });
  assert.equal(done.state, 'success');
  assert.equal((await live('delta'))?.spec.image, 'flink:1.20.3');
});

/** the manifest with a schema violation: parallelism must be an integer */
const broken = (name: string) =>
  statefulManifest(name, 'flink:1.20.0').replace('parallelism: 2', 'parallelism: two');

test('a broken manifest fixed together with an image bump is an upgrade of the live job, not a create', async () => {
  env.work.write('jobs/echo.yaml', broken('echo'));
  const breaking = env.push('break echo');
  const invalid = await flinkops.pollNow();
  assert.ok(invalid?.errors.some((e) => e.file === 'jobs/echo.yaml' && /parallelism/.test(e.message)));
  assert.equal((await live('echo'))?.spec.image, 'flink:1.20.0', 'nothing applied from the broken manifest');
  assert.equal(env.statuses(breaking)['flinkops/streaming/echo'], undefined);

  env.work.write('jobs/echo.yaml', statefulManifest('echo', 'flink:1.20.5'));
  const fix = env.push('fix echo and bump it');
  const outcome = await flinkops.pollNow();
  const echo = outcome?.planned.find((p) => p.key === 'streaming/echo');
  assert.equal(echo?.transition.change, 'update');
  assert.deepEqual(
    echo?.transition.steps.map((s) => s.action),
    ['savepoint-suspend', 'upgrade', 'resume'],
  );
  assert.equal((await finalState(fix, 'echo')).state, 'success');
  assert.equal((await live('echo'))?.spec.image, 'flink:1.20.5');
});

test('removing a broken manifest with the trailer deletes the live job after a final savepoint', async () => {
  env.work.write('jobs/foxtrot.yaml', broken('foxtrot'));
  env.push('break foxtrot');
  await flinkops.pollNow();
  env.work.remove('jobs/foxtrot.yaml');
  const removal = env.push('retire foxtrot\n\nFlinkops-Approve-Delete: streaming/foxtrot');
  const outcome = await flinkops.pollNow();
  assert.deepEqual(
    outcome?.planned.find((p) => p.key === 'streaming/foxtrot')?.transition.steps.map((s) => s.action),
    ['guarded-delete'],
  );
  assert.equal((await finalState(removal, 'foxtrot')).state, 'success');
  assert.equal(await live('foxtrot'), null, 'deleted');
  assert.match(env.remote.git('notes', '--ref=flinkops-ledger', 'show', removal), /"name":"foxtrot"/);
});
