// The server's small guards on their own (replay memory, failure throttle, listen address parsing,
// same-origin verdicts, with an injected clock), and crafted paths over a raw socket that must not
// slip past the credential check through the open or webhook routes.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FailureLimiter } from '../../src/server/failure-limiter.ts';
import { isLoopbackHost, parseListen } from '../../src/server/listen-address.ts';
import { FlinkopsMetrics } from '../../src/server/metrics.ts';
import { ReplayGuard } from '../../src/server/replay-guard.ts';
import { checkSameOrigin } from '../../src/server/same-origin.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';

describe('server guards', () => {
  it('ReplayGuard refuses a seen id until its ttl passes, and stays bounded', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard({ ttlMs: 60_000, maxEntries: 3, now: () => now });
    assert.equal(guard.firstSeen('a'), true);
    assert.equal(guard.firstSeen('a'), false);
    now += 59_999;
    assert.equal(guard.firstSeen('a'), false);
    now += 1;
    assert.equal(guard.firstSeen('a'), true, 'forgotten after the ttl');
    guard.firstSeen('b');
    guard.firstSeen('c');
    guard.firstSeen('d'); // evicts the oldest, 'a'
    assert.equal(guard.firstSeen('d'), false);
    assert.equal(guard.firstSeen('a'), true);
  });

  it('FailureLimiter blocks after maxFailures within the window and forgets after it', () => {
    let now = 0;
    const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 10_000, now: () => now });
    assert.equal(limiter.blockedFor('1.2.3.4'), 0);
    limiter.recordFailure('1.2.3.4');
    assert.equal(limiter.blockedFor('1.2.3.4'), 0);
    limiter.recordFailure('1.2.3.4');
    assert.equal(limiter.blockedFor('1.2.3.4'), 10);
    assert.equal(limiter.blockedFor('5.6.7.8'), 0, 'other addresses are not affected');
    now = 7_500;
    assert.equal(limiter.blockedFor('1.2.3.4'), 3);
    now = 10_000;
    assert.equal(limiter.blockedFor('1.2.3.4'), 0);
  });

  it('parses listen addresses and decides what is loopback', () => {
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen(':8080'), { host: '0.0.0.0', port: 8080 });
    assert.throws(() => parseListen('127.0.0.1'), /expected host:port/);
    assert.throws(() => parseListen('127.0.0.1:70000'), /above 65535/);
    for (const host of ['127.0.0.1', '::1', 'localhost', 'LOCALHOST'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['127.0.0.2', '0.0.0.0', '::', '10.0.0.1', 'flinkops.example']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  it('judges same-origin from Sec-Fetch-Site, Origin, Referer and the public URL', () => {
    const host = 'flinkops.internal:8080';
    assert.equal(checkSameOrigin({ host, 'sec-fetch-site': 'same-origin' }).ok, true);
    assert.equal(checkSameOrigin({ host, origin: 'http://flinkops.internal:8080' }).ok, true);
    assert.equal(checkSameOrigin({ host, origin: 'http://flinkops.internal:8081' }).ok, false);
    assert.equal(checkSameOrigin({ host, origin: 'http://flinkops.internal.evil.example:8080' }).ok, false);
    // behind a proxy the Host the server sees differs from the public one
    assert.equal(
      checkSameOrigin(
        { host: '10.0.0.5:8080', origin: 'https://ops.example.com' },
        'https://ops.example.com/',
      ).ok,
      true,
    );
    // an Origin that disagrees wins over a Referer that agrees
    assert.equal(
      checkSameOrigin({
        host,
        origin: 'https://evil.example',
        referer: 'http://flinkops.internal:8080/queues/',
      }).ok,
      false,
    );
    const none = checkSameOrigin({ host });
    assert.equal(none.ok, false);
    assert.match(none.ok ? '' : none.reason, /no Origin, Referer or Sec-Fetch-Site/);
  });
});

describe('server crafted paths', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      listen: '127.0.0.1:0',
      auth: { token: 'tok' },
      queues: [],
      webhook: { genericToken: 'hook' },
      onPollRequested: () => {},
      metrics: new FlinkopsMetrics(),
    });
  });
  after(async () => {
    await server.close();
  });

  /** Sends the request line as written: no client-side path normalisation. */
  function raw(path: string): Promise<number> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer for ${path}`)));
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
      socket.on('error', reject);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
  }

  it('never serves the UI or /metrics without the credential through open or webhook paths', async () => {
    for (const path of [
      '/webhook/../queues/api/queues',
      '/webhook/github/../../metrics',
      '/healthz/../metrics',
      '/readyz/../queues/',
      '/webhook/generic/..%2F..%2Fmetrics',
      '/%71ueues/',
      '/queues//api/queues',
      '/QUEUES/',
    ]) {
      const status = await raw(path);
      assert.ok(status === 401 || status === 404 || status === 400, `${path} answered ${status}`);
    }
    assert.equal(await raw('/queues/'), 401);
    assert.equal(await raw('/healthz'), 200);
  });

  it('applies the same-origin check to writes whatever the spelling of the path', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      socket.setTimeout(15_000, () => socket.destroy(new Error('no answer')));
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write(
        'PUT /%71ueues/api/queues/flinkops-steps/x/retry HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
    });
    // bearer auth is CSRF-proof by itself: this must reach the board (not 401/403)
    assert.doesNotMatch(answer, /^HTTP\/1\.1 40[13]/);
    const open = await startServer({
      listen: '127.0.0.1:0',
      queues: [],
      onPollRequested: () => {},
      metrics: new FlinkopsMetrics(),
    });
    try {
      const refused = await fetch(`${open.url}/%71ueues/api/queues/flinkops-steps/x/retry`, {
        method: 'PUT',
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(refused.status, 403);
    } finally {
      await open.close();
    }
  });
});
