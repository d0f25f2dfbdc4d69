// Starts a private redis-server for a test on a free loopback port in a temp dir, with AOF on,
// so crash tests can restart it and find their data. Falls back to apt-get when redis-server is missing.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { makeTempDir } from './tmp.ts';

function redisServerBinary(): string {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq redis-server'], {
      stdio: 'inherit',
    });
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  }
}

export class TestRedis {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly cleanupDir: () => void,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    // a port free a moment ago may be taken by a parallel test before redis-server binds it: then the
    // server exits (or another one answers) and we try a new port
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const { dir, cleanup } = makeTempDir('flinkops-redis-');
      const redis = new TestRedis(await freePort(), dir, cleanup);
      try {
        await redis.spawn();
        return redis;
      } catch (err) {
        lastError = err;
        await redis.stop();
      }
    }
    throw lastError;
  }

  /** (Re)starts the server process on the same port and data dir. */
  async spawn(): Promise<void> {
    const binary = redisServerBinary();
    this.child = spawn(
      binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        join(this.dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const client = new Redis({
        port: this.port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => {}); // refused while the server starts: expected, the loop retries
      try {
        if (this.child.exitCode !== null) throw new Error('exited');
        await client.connect();
        // ours, not a neighbour's that won the port: its data dir is the one we gave it
        const [, dir] = (await client.config('GET', 'dir')) as string[];
        client.disconnect();
        if (dir !== this.dir)
          throw new Error(`port ${this.port} answers with another redis-server (dir ${dir})`);
        return;
      } catch (err) {
        if (this.child.exitCode !== null || String(err).includes('another redis-server')) {
          client.disconnect();
          throw new Error(`redis-server could not take port ${this.port}: ${String(err)}`);
        }
        client.disconnect();
        await sleep(50);
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}; see ${join(this.dir, 'redis.log')}`);
  }

  /** kill -9 the server (AOF keeps what was acknowledged). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.kill();
    this.cleanupDir();
  }
}
