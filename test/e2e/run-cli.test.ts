// `flinkops run` as a user runs it: real processes, a real bare remote, real Redis, the embedded cluster.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { redisOptionsFromUrl } from '../../src/queue/connection.ts';
import { freePort } from '../helpers/ports.ts';
import {
  eventually,
  type GitopsEnv,
  startGitopsEnv,
  statefulManifest,
} from '../integration/gitops-harness.ts';

let env: GitopsEnv;
const children: ChildProcess[] = [];

before(async () => {
  env = await startGitopsEnv();
});
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await env.stop();
});

function flinkops(args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['src/bin/flinkops.mjs', ...args], {
    env: { ...process.env, FLINKOPS_LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

const common = () => [
  '--repo',
  env.remote.dir,
  '--branch',
  'main',
  '--redis',
  env.redis.url,
  '--kubeconfig',
  env.kubeconfigPath,
];

/** `flinkops run --once` in the shared work dir; resolves to its exit code and output */
async function once(extraEnv: Record<string, string> = {}) {
  const run = flinkops(
    ['run', ...common(), '--once', '--no-server', '--work-dir', `${env.tmp}/once`],
    extraEnv,
  );
  const code = await run.exited;
  return { code, out: run.out(), err: run.err() };
}

const api = (name: string) =>
  `${env.sim.url}/apis/flink.apache.org/v1beta1/namespaces/streaming/flinkdeployments/${name}`;
async function live(name: string) {
  const res = await fetch(api(name));
  return res.status === 404
    ? null
    : ((await res.json()) as {
        spec: { image: string; job?: { state?: string } };
        status?: { lifecycleState?: string; jobStatus?: { state?: string } };
      });
}
async function annotate(name: string, annotations: Record<string, string | null>) {
  const res = await fetch(api(name), {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { annotations } }),
  });
  assert.equal(res.status, 200);
}

test('run --once plans head, runs every transition to the end, prints a summary and exits 0', async () => {
  env.work.write('jobs/once.yaml', statefulManifest('once', 'flink:1.20.0'));
  const sha = env.push('add once');
  const run = flinkops(['run', ...common(), '--once', '--no-server', '--work-dir', `${env.tmp}/once`]);
  const code = await run.exited;
  assert.equal(code, 0, run.err());
  assert.match(run.out(), /DEPLOYMENT\s+STEPS\s+RESULT/);
  assert.match(run.out(), /streaming\/once\s+create\s+succeeded/);
  assert.equal(env.statuses(sha)['flinkops/streaming/once']?.state, 'success');
});

test('run --once exits 1 when a transition cannot proceed (delete without approval)', async () => {
  env.work.remove('jobs/once.yaml');
  env.push('drop once');
  const run = flinkops(['run', ...common(), '--once', '--no-server', '--work-dir', `${env.tmp}/once`]);
  assert.equal(await run.exited, 1, run.err());
  assert.match(run.out(), /streaming\/once\s+guarded-delete\s+needs approval/);
});

test('run --once again exits 1 while the delete still waits for approval; with the trailer it deletes and exits 0', async () => {
  const removal = env.work.head();
  const again = await once();
  assert.equal(again.code, 1, `a re-run says in step although a delete waits:\n${again.out}`);
  assert.match(
    again.out,
    /streaming\/once\s+guarded-delete\s+needs approval: add trailer Flinkops-Approve-Delete: streaming\/once/,
  );
  const approval = env.push('approve dropping once\n\nFlinkops-Approve-Delete: streaming/once');
  const approved = await once();
  assert.equal(approved.code, 0, approved.out + approved.err);
  assert.match(approved.out, /streaming\/once\s+guarded-delete\s+succeeded/);
  assert.equal(await live('once'), null);
  assert.equal(
    env.statuses(removal)['flinkops/streaming/once']?.description,
    `superseded by ${approval.slice(0, 12)}`,
  );
});

test('run --once again exits 1 while a transition of head stays failed, naming the job to retry; after the retry it runs the flow to its end', async () => {
  env.work.write('jobs/retried.yaml', statefulManifest('retried', 'flink:1.20.0'));
  env.push('add retried');
  assert.equal((await once()).code, 0);
  await annotate('retried', { 'sim.flinkops.io/savepoint': 'fail' });
  env.work.write('jobs/retried.yaml', statefulManifest('retried', 'flink:1.20.1'));
  const bump = env.push('bump retried');
  const failed = await once();
  assert.equal(failed.code, 1, failed.out);

  const again = await once();
  assert.equal(again.code, 1, `a re-run says in step although the transition failed:\n${again.out}`);
  const row = again.out.match(
    /streaming\/retried\s+savepoint-suspend, upgrade, resume\s+failed at savepoint-suspend: .*\(retry: flinkops retry (\S+)\)/,
  );
  assert.ok(row, again.out);
  assert.equal((await live('retried'))?.spec.image, 'flink:1.20.0', 'still on the old spec');

  // fixed and retried: one --once runs every remaining step, not just the next one
  await annotate('retried', { 'sim.flinkops.io/savepoint': null });
  const retry = flinkops(['retry', row[1], '--redis', env.redis.url]);
  assert.equal(await retry.exited, 0, retry.err());
  const done = await once();
  assert.equal(done.code, 0, done.out + done.err);
  assert.match(done.out, /streaming\/retried\s+savepoint-suspend, upgrade, resume\s+succeeded/);
  const after = await live('retried');
  assert.equal(after?.spec.image, 'flink:1.20.1');
  assert.equal(after?.spec.job?.state, 'running', 'left suspended');
  assert.equal(after?.status?.jobStatus?.state, 'RUNNING');
  assert.equal(env.statuses(bump)['flinkops/streaming/retried']?.state, 'success');
});

test('run --once after a retry and a newer commit: the retried flow runs to its end, then the newer change', async () => {
  await annotate('retried', { 'sim.flinkops.io/savepoint': 'fail' });
  env.work.write('jobs/retried.yaml', statefulManifest('retried', 'flink:1.20.2'));
  const bump = env.push('bump retried to 1.20.2');
  const failed = await once();
  assert.equal(failed.code, 1, failed.out);
  const jobId = failed.out.match(/\(retry: flinkops retry (\S+)\)/)?.[1];
  assert.ok(jobId, failed.out);
  await annotate('retried', { 'sim.flinkops.io/savepoint': null });
  const retry = flinkops(['retry', jobId, '--redis', env.redis.url]);
  assert.equal(await retry.exited, 0, retry.err());
  env.work.write('jobs/retried.yaml', statefulManifest('retried', 'flink:1.20.3'));
  const newer = env.push('bump retried to 1.20.3');
  const done = await once();
  assert.equal(done.code, 0, done.out + done.err);
  // the newer commit waited for the retried flow, then a second poll planned it
  assert.match(done.err, /"planned":\["streaming\/retried:waiting"\]/);
  assert.match(done.err, /"planned":\["streaming\/retried:running"\]/);
  assert.equal((await live('retried'))?.spec.image, 'flink:1.20.3');
  assert.equal(env.statuses(bump)['flinkops/streaming/retried']?.state, 'success');
  assert.equal(env.statuses(newer)['flinkops/streaming/retried']?.state, 'success');
});

test('run --once exits 1 on every run while a manifest at head is invalid', async () => {
  env.work.write(
    'jobs/broken.yaml',
    statefulManifest('broken', 'flink:1.20.0').replace('parallelism: 2', 'parallelism: two'),
  );
  env.push('add a broken manifest');
  const first = await once();
  assert.equal(first.code, 1, first.out);
  assert.match(first.out, /jobs\/broken\.yaml:\d+:\d+\s+-\s+invalid manifest: .*parallelism/);
  const again = await once();
  assert.equal(again.code, 1, `a re-run ignores the invalid manifest:\n${again.out}`);
  assert.match(again.out, /jobs\/broken\.yaml:\d+:\d+\s+-\s+invalid manifest/);
  env.work.remove('jobs/broken.yaml');
  env.push('drop the broken manifest');
  const fixed = await once();
  assert.equal(fixed.code, 0, fixed.out);
});

test('configured secrets reach no commit status, log line or --once table', async () => {
  const secrets = {
    FLINKOPS_GIT_TOKEN: 'gitTok3nValue4Tests',
    FLINKOPS_WEBHOOK_SECRET: 'hookSecretValue42x',
    FLINKOPS_UI_TOKEN: 'uiTok3nValue4Tests',
  };
  // the operator's error quotes the path, so the secrets end up in the failure text
  const path = `s3://state/savepoints/${secrets.FLINKOPS_GIT_TOKEN}/${secrets.FLINKOPS_WEBHOOK_SECRET}/${secrets.FLINKOPS_UI_TOKEN}`;
  env.work.write(
    'jobs/leaky.yaml',
    statefulManifest('leaky', 'flink:1.20.0').replace(
      '    state: running\n',
      `    state: running\n    initialSavepointPath: ${path}\n`,
    ),
  );
  const sha = env.push('add leaky');
  const run = flinkops(
    ['run', ...common(), '--once', '--no-server', '--work-dir', `${env.tmp}/once`],
    secrets,
  );
  assert.equal(await run.exited, 1, run.err());
  assert.match(run.out(), /streaming\/leaky\s+create\s+failed at create: .*Cannot find checkpoint/);
  assert.match(run.err(), /step failed/, 'the warning is logged');
  const status = await eventually('the failure status of leaky', () => {
    const s = env.statuses(sha)['flinkops/streaming/leaky'];
    return s?.state === 'failure' ? s : undefined;
  });
  assert.match(status.description, /^create failed: /);
  const steps = new Queue('flinkops-steps', { connection: redisOptionsFromUrl(env.redis.url) });
  const failedJob = (await steps.getFailed()).find((j) => j.data.name === 'leaky');
  await steps.close();
  assert.ok(failedJob, 'the failed create step waits in the queue');
  for (const [where, text] of Object.entries({
    table: run.out(),
    log: run.err(),
    status: status.description,
    // what the queue UI and `flinkops retry` show
    'failed job': failedJob.failedReason,
  })) {
    // not even the part of a value that a 140-character cut leaves
    for (const secret of Object.values(secrets))
      assert.ok(!text.includes(secret.slice(0, 8)), `${where} shows a secret:\n${text}`);
  }
  assert.match(run.out(), /\[redacted\]/);

  // it never ran (its first start FAILED): deleted with approval, without a savepoint, and --once is green
  const still = await once(secrets);
  assert.equal(still.code, 1, still.out);
  assert.match(still.out, /streaming\/leaky\s+create\s+failed at create: .*\(retry: flinkops retry \S+\)/);
  env.work.remove('jobs/leaky.yaml');
  env.push('drop leaky\n\nFlinkops-Approve-Delete: streaming/leaky');
  const dropped = await once(secrets);
  assert.equal(dropped.code, 0, dropped.out + dropped.err);
  assert.match(dropped.out, /streaming\/leaky\s+guarded-delete\s+succeeded/);
  assert.equal(await live('leaky'), null);
});

test('run --once with Redis unreachable fails within its timeout, saying so', async () => {
  const port = await freePort();
  const t0 = Date.now();
  const run = flinkops([
    'run',
    '--repo',
    env.remote.dir,
    '--redis',
    `redis://127.0.0.1:${port}`,
    '--kubeconfig',
    env.kubeconfigPath,
    '--once',
    '--once-timeout',
    '3000',
    '--no-server',
    '--work-dir',
    `${env.tmp}/once-no-redis`,
  ]);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
  const code = await run.exited;
  clearTimeout(timer);
  assert.equal(code, 1, `exit ${code} after ${Date.now() - t0} ms (killed: hung)\n${run.err()}`);
  assert.match(
    run.err(),
    new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .*no answer within 3 s`),
  );
  assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
});

test('a start that fails half-way (listen address in use) exits 1 instead of hanging on what it opened', async () => {
  const taken = new URL(env.sim.url).host;
  const run = flinkops(['run', ...common(), '--listen', taken, '--work-dir', `${env.tmp}/busy-port`]);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
  const code = await run.exited;
  clearTimeout(timer);
  assert.equal(code, 1, `exit ${code} (killed: hung)\n${run.err()}`);
  assert.match(run.err(), /EADDRINUSE/);
});

test('bad settings exit 2 and name the setting', async () => {
  const run = flinkops(['run', '--redis', 'http://x']);
  assert.equal(await run.exited, 2);
  assert.match(run.err(), /repo \(FLINKOPS_REPO\)/);
  assert.match(run.err(), /redisUrl \(FLINKOPS_REDIS_URL\): must be a redis/);
});

test('two pollers on one repository: only the lease holder plans', async () => {
  env.work.write('jobs/lease.yaml', statefulManifest('lease', 'flink:1.20.0'));
  const sha = env.push('add lease');
  const args = (n: number) => [
    'run',
    ...common(),
    '--role',
    'poller',
    '--no-server',
    '--poll-interval',
    '300',
    '--work-dir',
    `${env.tmp}/poller-${n}`,
  ];
  const a = flinkops(args(1));
  const b = flinkops(args(2));
  await eventually(
    'the lease holder to plan the new commit',
    () => env.statuses(sha)['flinkops/streaming/lease']?.state === 'pending',
  );
  env.work.write('jobs/lease.yaml', statefulManifest('lease', 'flink:1.20.1'));
  const second = env.push('bump lease');
  await eventually(
    'the second commit to be planned',
    () => env.statuses(second)['flinkops/streaming/lease'] !== undefined,
  );
  // let both poll several more times
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const planned = (text: string) =>
    text.split('\n').filter((line) => line.includes('"msg":"planned"')).length;
  const counts = [planned(a.out() + a.err()), planned(b.out() + b.err())];
  assert.ok(
    counts.filter((c) => c > 0).length === 1,
    `exactly one process planned (planned lines: ${counts.join(', ')})`,
  );
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  assert.equal(await a.exited, 0);
  assert.equal(await b.exited, 0);
});
