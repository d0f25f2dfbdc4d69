// The GitHub reporter against a local stand-in of the GitHub REST API on 127.0.0.1 that checks
// the exact request GitHub's "create a commit status" endpoint expects.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createReporter, transitionStatus } from '../../src/status/index.ts';

const TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

describe('GitHub commit status reporter', () => {
  let server: Server;
  let baseUrl: string;
  let seen: Seen[] = [];
  /** status codes to answer with, in order; then 201 */
  let script: number[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => {
        raw += chunk;
      });
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(raw || '{}'),
        });
        const code = script.shift() ?? 201;
        res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify(
            code === 201
              ? { id: seen.length, state: JSON.parse(raw).state, context: JSON.parse(raw).context }
              : {
                  message: code === 401 ? 'Bad credentials' : 'Server Error',
                  documentation_url: 'https://docs.github.com/rest',
                },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    script = [];
  });

  const reporter = () =>
    createReporter({
      provider: 'github',
      token: TOKEN,
      owner: 'acme',
      repo: 'flink-jobs',
      baseUrl,
      policy: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });

  it('POSTs /repos/{owner}/{repo}/statuses/{sha} with token auth and the exact JSON fields', async () => {
    const outcome = await reporter().reportWithOutcome(
      SHA,
      transitionStatus.queued(
        'prod',
        'orders',
        ['savepoint-suspend', 'upgrade', 'resume'],
        'http://flinkops/ui/flow/1',
      ),
    );
    assert.deepEqual(outcome, { ok: true, attempts: 1 });
    assert.equal(seen.length, 1);
    const [req] = seen;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, `/repos/acme/flink-jobs/statuses/${SHA}`);
    assert.equal(req.headers.authorization, `token ${TOKEN}`);
    assert.match(String(req.headers['content-type']), /^application\/json(; charset=utf-8)?$/);
    assert.match(String(req.headers.accept), /application\/vnd\.github/);
    assert.match(String(req.headers['user-agent']), /flinkops/);
    assert.deepEqual(req.body, {
      state: 'pending',
      context: 'flinkops/prod/orders',
      description: 'queued: savepoint-suspend, upgrade, resume',
      target_url: 'http://flinkops/ui/flow/1',
    });
  });

  it('keeps the description within 140 characters and free of secrets', async () => {
    const operatorError = JSON.stringify({
      type: 'org.apache.flink.kubernetes.operator.exception.ReconciliationException',
      message: `Savepoint failed: could not write to s3://user:hunter2@bucket/savepoints with token ${TOKEN} ${'x'.repeat(300)}`,
    });
    await reporter().report(
      SHA,
      transitionStatus.failed('prod', 'orders', 'savepoint-suspend', operatorError),
    );
    assert.equal(seen.length, 1);
    const description = String(seen[0].body.description);
    assert.ok(Array.from(description).length <= 140, `${description.length}: ${description}`);
    assert.match(description, /^savepoint-suspend failed: ReconciliationException: Savepoint failed/);
    assert.doesNotMatch(description, /hunter2|ghp_/);
    assert.equal(seen[0].body.state, 'failure');
    assert.equal('target_url' in seen[0].body, false);
  });

  it('retries a 5xx and succeeds', async () => {
    script = [502, 500];
    const outcome = await reporter().reportWithOutcome(
      SHA,
      transitionStatus.step('prod', 'orders', 2, 3, 'upgrade'),
    );
    assert.deepEqual(outcome, { ok: true, attempts: 3 });
    assert.equal(seen.length, 3);
    for (const req of seen) assert.equal(req.body.description, 'step 2/3: upgrade');
  });

  it('gives up after the bounded attempts on a persistent 5xx without throwing', async () => {
    script = [503, 503, 503, 503];
    const outcome = await reporter().reportWithOutcome(
      SHA,
      transitionStatus.succeeded('prod', 'orders', ['upgrade']),
    );
    assert.equal(outcome.ok, false);
    assert.equal(outcome.attempts, 3);
    assert.equal(seen.length, 3);
  });

  it('reports a 401 once, does not retry and does not throw', async () => {
    script = [401];
    const r = reporter();
    await r.report(SHA, transitionStatus.needsApproval('prod', 'orders'));
    assert.equal(seen.length, 1);
    script = [401];
    const outcome = await r.reportWithOutcome(SHA, transitionStatus.needsApproval('prod', 'orders'));
    assert.equal(outcome.ok, false);
    assert.match(outcome.error ?? '', /HTTP 401/);
    assert.doesNotMatch(outcome.error ?? '', new RegExp(TOKEN));
    assert.equal(
      seen[1].body.description,
      'needs approval: add trailer Flinkops-Approve-Delete: prod/orders',
    );
  });
});
