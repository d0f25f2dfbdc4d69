// `flinkops sim` as a process: URL on the first line of stdout, a clean exit on SIGTERM, --state carried
// across two runs, and usage errors (exit 2) for a non-loopback host or bad numbers.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli.ts';
import { isLoopback } from '../../src/commands/sim.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { call, fdPath, flinkDeployment } from './sim-api-http.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const temp = makeTempDir('flinkops-sim-command-');
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
  temp.cleanup();
});

async function startSim(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'src/bin/flinkops.mjs'), 'sim', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLINKOPS_LOG_LEVEL: 'info' },
  });
  children.push(child);
  child.stderr?.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('flinkops sim printed no URL within 120 s')), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(buffer.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flinkops sim exited early with ${code}`));
    });
  });
  return { child, url };
}

async function terminate(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

describe('flinkops sim', () => {
  it('prints only the URL on stdout, exits 0 on SIGTERM, and keeps objects in --state across runs', async () => {
    const state = join(temp.dir, 'sim-state.json');
    const first = await startSim(['--port', '0', '--speed', '50', '--state', state]);
    assert.match(
      first.url,
      /^http:\/\/127\.0\.0\.1:\d+$/,
      'the first stdout line is the URL, not a log line',
    );
    assert.equal((await call(first.url, 'POST', fdPath('cmd'), flinkDeployment('survivor'))).status, 201);
    assert.equal(await terminate(first.child), 0);
    assert.ok(existsSync(state), 'state written at stop');

    const second = await startSim(['--port', '0', '--state', state]);
    const got = await call(second.url, 'GET', fdPath('cmd', 'survivor'));
    assert.equal(got.status, 200);
    assert.equal(got.json.metadata.name, 'survivor');
    assert.equal(await terminate(second.child), 0);
  });

  it('refuses a non-loopback host without --allow-remote, and bad numbers, with exit code 2', async () => {
    const stderr = process.stderr.write.bind(process.stderr);
    const captured: string[] = [];
    process.stderr.write = ((chunk: string | Uint8Array) => {
      captured.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      assert.equal(await main(['node', 'flinkops', 'sim', '--host', '0.0.0.0']), 2);
      assert.equal(await main(['node', 'flinkops', 'sim', '--port', '70000']), 2);
      assert.equal(await main(['node', 'flinkops', 'sim', '--speed', '0']), 2);
    } finally {
      process.stderr.write = stderr;
    }
    assert.match(captured.join(''), /--host 0.0.0.0 is not a loopback address/);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com'])
      assert.equal(isLoopback(host), false, host);
  });
});
