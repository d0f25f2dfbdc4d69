// Who may reach the server, over real HTTP: the credential on a non-loopback address (127.0.0.2
// counts as non-loopback: only 127.0.0.1, ::1 and localhost run without one), the refusal to start
// exposed without a credential, same-origin checks on UI writes, the loopback Host check, security
// headers, the auth-failure throttle and the read-only queue UI (405 on retry, against real Redis).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { FlinkopsMetrics } from '../../src/server/metrics.ts';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/server.ts';
import { TestRedis } from '../helpers/redis-server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http rather than fetch, so a test can send any Host, Origin or Sec-Fetch-Site header. */
function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function baseOptions(overrides: Partial<ServerOptions> = {}): ServerOptions {
  return { queues: [], onPollRequested: () => {}, metrics: new FlinkopsMetrics(), ...overrides };
}

describe('server refuses to start exposed without a credential', () => {
  it('refuses 0.0.0.0 and other 127.x addresses, naming the settings', async () => {
    await assert.rejects(startServer(baseOptions({ listen: '0.0.0.0:0' })), (err: Error) => {
      assert.match(err.message, /refusing to listen on 0\.0\.0\.0:0 without a UI credential/);
      assert.match(err.message, /auth\.token/);
      assert.match(err.message, /auth\.basic/);
      return true;
    });
    await assert.rejects(
      startServer(baseOptions({ listen: '127.0.0.2:0' })),
      /refusing to listen on 127\.0\.0\.2:0/,
    );
    await assert.rejects(startServer(baseOptions({ listen: ':0' })), /refusing to listen on 0\.0\.0\.0:0/);
  });

  it('rejects a malformed listen address', async () => {
    await assert.rejects(
      startServer(baseOptions({ listen: 'localhost' })),
      /invalid listen address "localhost"/,
    );
  });
});

describe('server on a non-loopback address', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(
      baseOptions({
        listen: '127.0.0.2:0',
        auth: { token: 'the-ui-token', basic: { user: 'admin', password: 'correct horse' } },
        readiness: async () => [{ name: 'redis', ok: true }],
        authFailureLimit: { maxFailures: 1000 },
      }),
    );
  });
  after(async () => {
    await server.close();
  });

  it('answers 401 with a Basic challenge without credentials, on the UI, its API, /metrics and /', async () => {
    for (const path of ['/queues/', '/queues/api/queues', '/metrics', '/']) {
      const answer = await call(`${server.url}${path}`);
      assert.equal(answer.status, 401, path);
      assert.match(String(answer.headers['www-authenticate']), /^Basic realm="flinkops"/, path);
      assert.doesNotMatch(answer.body, /Bull|flinkops_/, `${path} must not leak content`);
    }
  });

  it('keeps /healthz and /readyz open for probes', async () => {
    assert.equal((await call(`${server.url}/healthz`)).status, 200);
    assert.equal((await call(`${server.url}/readyz`)).status, 200);
  });

  it('rejects wrong credentials and accepts the right bearer token or basic user:password', async () => {
    const wrong = [
      'Bearer not-the-token',
      'Bearer the-ui-token-but-longer',
      basic('admin', 'wrong'),
      basic('root', 'correct horse'),
      'Basic !!!not-base64',
      'Digest username="admin"',
    ];
    for (const authorization of wrong) {
      assert.equal(
        (await call(`${server.url}/queues/`, { headers: { authorization } })).status,
        401,
        authorization,
      );
    }
    const viaToken = await call(`${server.url}/queues/`, {
      headers: { authorization: 'Bearer the-ui-token' },
    });
    assert.equal(viaToken.status, 200);
    assert.match(viaToken.body, /<title>flinkops<\/title>/);
    const viaBasic = await call(`${server.url}/metrics`, {
      headers: { authorization: basic('admin', 'correct horse') },
    });
    assert.equal(viaBasic.status, 200);
    assert.match(viaBasic.body, /flinkops_transitions_total/);
  });

  it('refuses UI writes that are not same-origin unless they use the bearer token', async () => {
    const url = `${server.url}/queues/api/queues/flinkops-steps/no-such-job/retry`;
    const host = new URL(server.url).host;
    const auth = basic('admin', 'correct horse');
    const refused: Record<string, string>[] = [
      {},
      { origin: 'https://evil.example' },
      { referer: 'https://evil.example/page' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const extra of refused) {
      const answer = await call(url, { method: 'PUT', headers: { authorization: auth, ...extra } });
      assert.equal(answer.status, 403, JSON.stringify(extra));
      assert.match(answer.body, /not same-origin/);
    }
    // accepted by the CSRF check: the board then answers for the (unknown) queue, which is not 403
    const accepted: Record<string, string>[] = [
      { origin: `http://${host}` },
      { referer: `http://${host}/queues/` },
      { 'sec-fetch-site': 'same-origin' },
    ];
    for (const extra of accepted) {
      const answer = await call(url, { method: 'PUT', headers: { authorization: auth, ...extra } });
      assert.notEqual(answer.status, 403, JSON.stringify(extra));
      assert.notEqual(answer.status, 401, JSON.stringify(extra));
    }
    const bearer = await call(url, { method: 'PUT', headers: { authorization: 'Bearer the-ui-token' } });
    assert.notEqual(bearer.status, 403);
  });

  it('sends security headers with a CSP that keeps scripts to self', async () => {
    const answer = await call(`${server.url}/queues/`, { headers: { authorization: 'Bearer the-ui-token' } });
    const csp = String(answer.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.ok(answer.headers['x-frame-options']);
    // the page's scripts are all same-origin files, which that CSP allows
    const scripts = [...answer.body.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(scripts.length > 0);
    for (const src of scripts) {
      assert.ok(!/^[a-z]+:/i.test(src), `script ${src} is not same-origin`);
      const asset = await call(`${server.url}/queues/${src}`, {
        headers: { authorization: 'Bearer the-ui-token' },
      });
      assert.equal(asset.status, 200, src);
    }
    for (const tag of answer.body.match(/<script\b[^>]*>/g) ?? []) {
      assert.match(tag, /\bsrc="|type="application\/json"/, `inline executable script ${tag}`);
    }
  });
});

describe('server on loopback', () => {
  let open: RunningServer;
  let guarded: RunningServer;
  before(async () => {
    open = await startServer(baseOptions({ listen: '127.0.0.1:0' }));
    guarded = await startServer(baseOptions({ listen: '127.0.0.1:0', auth: { token: 'tok' } }));
  });
  after(async () => {
    await open.close();
    await guarded.close();
  });

  it('serves the UI without a credential when none is configured', async () => {
    const answer = await call(`${open.url}/queues/`);
    assert.equal(answer.status, 200);
    assert.match(answer.body, /<base href="\/queues\/"/);
  });

  it('refuses a non-loopback Host header when no credential is configured (DNS rebinding)', async () => {
    const answer = await call(`${open.url}/queues/api/queues`, {
      headers: { host: 'attacker.example:8080' },
    });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /not loopback/);
    assert.equal(
      (await call(`${open.url}/queues/api/queues`, { headers: { host: 'localhost' } })).status,
      200,
    );
  });

  it('still refuses cross-site writes without a credential', async () => {
    const answer = await call(`${open.url}/queues/api/queues/flinkops-steps/x/retry`, {
      method: 'PUT',
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(answer.status, 403);
  });

  it('enforces a credential that is configured', async () => {
    assert.equal((await call(`${guarded.url}/queues/`)).status, 401);
    assert.equal(
      (await call(`${guarded.url}/queues/`, { headers: { authorization: 'Bearer tok' } })).status,
      200,
    );
  });
});

describe('server auth-failure throttle', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(
      baseOptions({ listen: '127.0.0.1:0', auth: { token: 'tok' }, authFailureLimit: { maxFailures: 3 } }),
    );
  });
  after(async () => {
    await server.close();
  });

  it('answers 429 after repeated wrong credentials, even to the right one, but not for missing ones', async () => {
    // a browser's first request carries no credential: that alone must never lock anyone out
    for (let i = 0; i < 5; i++) assert.equal((await call(`${server.url}/queues/`)).status, 401);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await call(`${server.url}/queues/`, { headers: { authorization: 'Bearer guess' } })).status,
        401,
      );
    }
    const blocked = await call(`${server.url}/queues/`, { headers: { authorization: 'Bearer tok' } });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    assert.equal((await call(`${server.url}/healthz`)).status, 200);
  });
});

describe('server read-only queue UI', () => {
  let redis: TestRedis;
  let queue: Queue;
  let worker: Worker;
  let server: RunningServer;
  const queueName = 'flinkops-steps';

  before(async () => {
    redis = await TestRedis.start();
    const connection = { host: '127.0.0.1', port: redis.port };
    queue = new Queue(queueName, { connection });
    worker = new Worker(
      queueName,
      async (): Promise<void> => {
        throw new UnrecoverableError('upgrade: the operator rejected the spec');
      },
      { connection, autorun: true },
    );
    server = await startServer(
      baseOptions({ listen: '127.0.0.1:0', auth: { token: 'tok' }, readOnly: true, queues: [queue] }),
    );
  });
  after(async () => {
    await server?.close();
    await worker?.close();
    await queue?.close();
    await redis?.stop();
  });

  it('shows the failed job but answers 405 to retry, and the job stays failed', async () => {
    await queue.add('team-a/orders upgrade @1a2b3c4', { action: 'upgrade' }, { jobId: 'ro-upgrade' });
    const deadline = Date.now() + 30_000;
    while ((await queue.getJobState('ro-upgrade')) !== 'failed') {
      assert.ok(Date.now() < deadline, 'the job did not fail within 30 s');
      await sleep(50);
    }
    const auth = { authorization: 'Bearer tok' };
    const shown = await call(`${server.url}/queues/api/queues/${queueName}/ro-upgrade`, { headers: auth });
    assert.equal(shown.status, 200);
    assert.match(shown.body, /team-a\/orders upgrade @1a2b3c4/);
    assert.match(shown.body, /the operator rejected the spec/);
    const retry = await call(`${server.url}/queues/api/queues/${queueName}/ro-upgrade/retry`, {
      method: 'PUT',
      headers: auth,
    });
    assert.equal(retry.status, 405);
    const retryAll = await call(`${server.url}/queues/api/queues/${queueName}/retry/failed`, {
      method: 'PUT',
      headers: auth,
    });
    assert.equal(retryAll.status, 405);
    const clean = await call(`${server.url}/queues/api/queues/${queueName}/ro-upgrade/clean`, {
      method: 'PUT',
      headers: auth,
    });
    assert.equal(clean.status, 405);
    assert.equal(await queue.getJobState('ro-upgrade'), 'failed');
  });
});
