// `flinkops run` as a user runs it: real processes, a real bare remote, real Redis, the embedded cluster.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
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
  for (const [where, text] of Object.entries({
    table: run.out(),
    log: run.err(),
    status: status.description,
  })) {
    // not even the part of a value that a 140-character cut leaves
    for (const secret of Object.values(secrets))
      assert.ok(!text.includes(secret.slice(0, 8)), `${where} shows a secret:\n${text}`);
  }
  assert.match(run.out(), /\[redacted\]/);
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
