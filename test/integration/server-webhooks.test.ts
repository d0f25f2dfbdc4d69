// The webhooks over real HTTP: GitHub's HMAC over the raw body (valid, wrong, missing, replayed),
// which events ask for a poll, the generic bearer token, and the failure throttle.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FlinkopsMetrics } from '../../src/server/metrics.ts';
import { type RunningServer, startServer } from '../../src/server/server.ts';

const SECRET = 'webhook-secret-for-tests';
const GENERIC = 'generic-token-for-tests';

function sign(body: string | Buffer, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('server webhooks', () => {
  let server: RunningServer;
  const polls: string[] = [];

  before(async () => {
    server = await startServer({
      listen: '127.0.0.1:0',
      queues: [],
      webhook: { githubSecret: SECRET, genericToken: GENERIC },
      // a UI credential is configured: the webhooks must not need it
      auth: { token: 'ui-token' },
      onPollRequested: (reason) => polls.push(reason),
      metrics: new FlinkopsMetrics(),
      authFailureLimit: { maxFailures: 1000 },
    });
  });
  after(async () => {
    await server.close();
  });

  async function github(
    event: string,
    body: string,
    headers: Record<string, string | undefined> = {},
  ): Promise<{ status: number; json: Record<string, unknown> | null }> {
    const all: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': sign(body),
    };
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) delete all[k];
      else all[k] = v;
    }
    const response = await fetch(`${server.url}/webhook/github`, { method: 'POST', headers: all, body });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  }

  const push = JSON.stringify({
    ref: 'refs/heads/main',
    after: 'abcdef0123456789',
    repository: { full_name: 'acme/flink' },
  });

  it('accepts a correctly signed push and requests a poll naming it', async () => {
    const before = polls.length;
    const { status } = await github('push', push);
    assert.equal(status, 202);
    assert.equal(polls.length, before + 1);
    assert.equal(polls.at(-1), 'github push acme/flink refs/heads/main @abcdef0');
  });

  it('accepts pull_request events', async () => {
    const before = polls.length;
    const body = JSON.stringify({
      action: 'synchronize',
      pull_request: { number: 7 },
      repository: { full_name: 'acme/flink' },
    });
    assert.equal((await github('pull_request', body)).status, 202);
    assert.equal(polls.at(-1), 'github pull_request acme/flink#7 synchronize');
    assert.equal(polls.length, before + 1);
  });

  it('answers ping with 200 and ignores other events with 202, without polling', async () => {
    const before = polls.length;
    assert.equal((await github('ping', '{"zen":"hi"}')).status, 200);
    const ignored = await github('issues', '{}');
    assert.equal(ignored.status, 202);
    assert.match(String(ignored.json?.message), /ignored/);
    assert.equal(polls.length, before);
  });

  it('rejects a wrong signature with 401', async () => {
    const before = polls.length;
    const wrongSecret = await github('push', push, { 'x-hub-signature-256': sign(push, 'not-the-secret') });
    assert.equal(wrongSecret.status, 401);
    // right secret, but over different bytes: the body was altered in transit
    const altered = await github('push', push, { 'x-hub-signature-256': sign(`${push} `) });
    assert.equal(altered.status, 401);
    const truncated = await github('push', push, { 'x-hub-signature-256': sign(push).slice(0, 20) });
    assert.equal(truncated.status, 401);
    assert.equal(polls.length, before);
  });

  it('rejects a missing signature with 401', async () => {
    const before = polls.length;
    const { status, json } = await github('push', push, { 'x-hub-signature-256': undefined });
    assert.equal(status, 401);
    assert.match(String(json?.message), /missing/);
    assert.equal(polls.length, before);
  });

  it('signs the raw bytes: whitespace and key order the JSON parser would normalise still verify', async () => {
    const raw =
      '{\n  "repository": {"full_name": "acme/flink"},   "ref": "refs/heads/main", "after": "1234567aaaa"\n}';
    assert.equal((await github('push', raw)).status, 202);
    assert.equal(polls.at(-1), 'github push acme/flink refs/heads/main @1234567');
  });

  it('verifies form-encoded deliveries over the raw body too', async () => {
    const form = `payload=${encodeURIComponent(push)}`;
    const result = await github('push', form, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(result.status, 202);
    assert.equal(polls.at(-1), 'github push acme/flink refs/heads/main @abcdef0');
  });

  it('answers a replayed delivery id with 409 and does not poll again', async () => {
    const delivery = randomUUID();
    assert.equal((await github('push', push, { 'x-github-delivery': delivery })).status, 202);
    const before = polls.length;
    const replay = await github('push', push, { 'x-github-delivery': delivery });
    assert.equal(replay.status, 409);
    assert.match(String(replay.json?.message), new RegExp(delivery));
    assert.equal(polls.length, before);
  });

  it('does not let an unsigned request burn a delivery id', async () => {
    const delivery = randomUUID();
    assert.equal(
      (await github('push', push, { 'x-github-delivery': delivery, 'x-hub-signature-256': 'sha256=00' }))
        .status,
      401,
    );
    assert.equal((await github('push', push, { 'x-github-delivery': delivery })).status, 202);
  });

  it('triggers a poll on the generic webhook with the right bearer token only', async () => {
    const before = polls.length;
    const call = (authorization?: string) =>
      fetch(`${server.url}/webhook/generic`, {
        method: 'POST',
        headers: authorization ? { authorization } : {},
      });
    assert.equal((await call()).status, 401);
    assert.equal((await call('Bearer wrong')).status, 401);
    assert.equal((await call('Bearer ui-token')).status, 401, 'the UI token is not the webhook token');
    assert.equal(polls.length, before);
    assert.equal((await call(`Bearer ${GENERIC}`)).status, 202);
    assert.equal(polls.length, before + 1);
    assert.equal(polls.at(-1), 'generic webhook');
  });
});

describe('server webhook throttle', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      listen: '127.0.0.1:0',
      queues: [],
      webhook: { githubSecret: SECRET },
      onPollRequested: () => {},
      metrics: new FlinkopsMetrics(),
      authFailureLimit: { maxFailures: 3, windowMs: 60_000 },
    });
  });
  after(async () => {
    await server.close();
  });

  it('answers 429 with Retry-After once an address has failed too often, even with a valid signature', async () => {
    const body = '{}';
    const post = (signature: string) =>
      fetch(`${server.url}/webhook/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      });
    for (let i = 0; i < 3; i++) assert.equal((await post('sha256=bad')).status, 401);
    const blocked = await post(sign(body));
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    // probes stay open so a throttled client cannot get the pod restarted
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
