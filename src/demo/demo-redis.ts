// The demo's Redis: the one at REDIS_URL, else 127.0.0.1:6379 when it answers (in a logical database
// of its own, used only when it is empty or holds an earlier demo's data), else a private
// redis-server the demo spawns in a temp dir and stops at the end.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export const DEMO_DB = 9;
const MARKER = 'flinkops:demo:marker';

export interface DemoRedis {
  url: string;
  /** where it came from, for the banner */
  origin: string;
  stop(): Promise<void>;
}

export class RedisMissingError extends Error {
  constructor() {
    super(
      'the demo needs Redis: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server ' +
        '(Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)',
    );
    this.name = 'RedisMissingError';
  }
}

async function probe(url: string): Promise<Redis | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1500,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    client.disconnect();
    return null;
  }
}

export async function provideDemoRedis(env: NodeJS.ProcessEnv = process.env): Promise<DemoRedis> {
  if (env.REDIS_URL) {
    const client = await probe(env.REDIS_URL);
    if (!client)
      throw new Error(`REDIS_URL ${env.REDIS_URL.replace(/\/\/[^@]*@/, '//[redacted]@')} does not answer`);
    client.disconnect();
    return { url: env.REDIS_URL, origin: 'REDIS_URL', stop: async () => {} };
  }
  const shared = `redis://127.0.0.1:6379/${DEMO_DB}`;
  const client = await probe(shared);
  if (client) {
    try {
      const size = await client.dbsize();
      const ours = (await client.exists(MARKER)) === 1;
      if (size === 0 || ours) {
        // an earlier demo's leftovers (e.g. stopped half-way) would block its deployments: start clean
        if (ours) await client.flushdb();
        await client.set(MARKER, new Date().toISOString());
        return { url: shared, origin: `127.0.0.1:6379 database ${DEMO_DB}`, stop: async () => {} };
      }
    } finally {
      client.disconnect();
    }
  }
  return spawnPrivateRedis();
}

function redisBinary(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function spawnPrivateRedis(): Promise<DemoRedis> {
  const binary = redisBinary();
  if (!binary) throw new RedisMissingError();
  const dir = mkdtempSync(join(tmpdir(), 'flinkops-demo-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const client = await probe(url);
    if (client) {
      client.disconnect();
      return {
        url,
        origin: `a private redis-server on port ${port}`,
        async stop() {
          if (child.exitCode === null) {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the private redis-server did not start (port ${port})`);
}
