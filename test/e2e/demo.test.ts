// `flinkops demo` as the README tells people to run it, at high speed, against a private Redis.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { TestRedis } from '../helpers/redis-server.ts';

let redis: TestRedis;
before(async () => {
  redis = await TestRedis.start();
});
after(async () => {
  await redis.stop();
});

function demo(args: string[]) {
  const child = spawn(
    process.execPath,
    ['src/bin/flinkops.mjs', 'demo', '--listen', '127.0.0.1:0', ...args],
    {
      env: { ...process.env, REDIS_URL: redis.url, FLINKOPS_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

test('the story runs unattended and ends with every status and offset as promised', async () => {
  const run = demo(['--speed', '25', '--exit-after-story']);
  const code = await run.exited;
  const out = run.out();
  assert.equal(code, 0, `${out}\n${run.err()}`);
  for (const chapter of ['1.', '2.', '3.', '4.', '5.', '6.', '7.', '8a.', '8b.']) {
    assert.match(out, new RegExp(`✓ ${chapter.replace('.', '\\.')} `), `chapter ${chapter} went as promised`);
  }
  assert.doesNotMatch(out, /✗/);
  assert.match(
    out,
    /\| streaming\/orders-enricher \| update \| `savepoint-suspend` → `upgrade` → `resume` \| safe \|/,
  );
  assert.match(
    out,
    /status flinkops\/streaming\/orders-enricher: failure — needs approval: add trailer Flinkops-Approve-Delete: streaming\/orders-enricher/,
  );
  assert.match(out, /restored from savepoint \S+ \(offset \d+, NO_CLAIM\)/);
  assert.match(out, /The story went as promised\./);
  const tempDir = /git repository\s+(\S+)\/flink-jobs\.git/.exec(out)?.[1];
  assert.ok(tempDir && !existsSync(tempDir), 'the demo removed its temp dir');
});

test('--no-story starts the stack, serves the UI and cleans up on Ctrl-C', async () => {
  const run = demo(['--no-story']);
  const deadline = Date.now() + 120_000;
  let ui: string | undefined;
  while (Date.now() < deadline && !ui) {
    ui = /queue UI\s+(http\S+)/.exec(run.out())?.[1];
    if (!ui) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(ui, `the UI URL is printed\n${run.out()}\n${run.err()}`);
  const res = await fetch(ui);
  assert.equal(res.status, 200);
  await res.text();
  await new Promise((resolve) => setTimeout(resolve, 300));
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0, run.err());
  const tempDir = /git repository\s+(\S+)\/flink-jobs\.git/.exec(run.out())?.[1];
  assert.ok(tempDir && !existsSync(tempDir), 'the demo removed its temp dir');
});
