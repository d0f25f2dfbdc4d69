// The GitLab reporter against a local stand-in of the GitLab REST API v4 on 127.0.0.1 that checks
// the exact request of "set the pipeline status of a commit" (POST /projects/:id/statuses/:sha).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createReporter, transitionStatus } from '../../src/status/index.ts';

const TOKEN = 'glpat-abcdefghijklmnop1234';
const SHA = 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

describe('GitLab commit status reporter', () => {
  let server: Server;
  let host: string;
  let seen: Seen[] = [];
  /** [status, message] answers in order; then 201 */
  let script: [number, string][] = [];

  before(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => {
        raw += chunk;
      });
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const [code, message] = script.shift() ?? [201, ''];
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            code === 201 ? { id: seen.length, sha: SHA, status: body.state, name: body.name } : { message },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    script = [];
  });

  const reporter = (projectId: string | number = 'platform/flink-jobs') =>
    createReporter({
      provider: 'gitlab',
      token: TOKEN,
      projectId,
      host,
      policy: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });

  it('POSTs /api/v4/projects/:id/statuses/:sha with PRIVATE-TOKEN and the exact JSON fields', async () => {
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
    assert.equal(req.url, `/api/v4/projects/platform%2Fflink-jobs/statuses/${SHA}`);
    assert.equal(req.headers['private-token'], TOKEN);
    assert.equal(req.headers.authorization, undefined);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(req.body, {
      state: 'pending',
      name: 'flinkops/prod/orders',
      description: 'queued: savepoint-suspend, upgrade, resume',
      target_url: 'http://flinkops/ui/flow/1',
    });
  });

  it("maps states to GitLab's: a running step is running, failure and error are failed", async () => {
    const r = reporter(42);
    await r.report(SHA, transitionStatus.step('prod', 'orders', 2, 3, 'upgrade'));
    await r.report(SHA, transitionStatus.succeeded('prod', 'orders', ['upgrade']));
    await r.report(SHA, transitionStatus.needsApproval('prod', 'orders'));
    await r.report(SHA, { context: 'flinkops/plan', state: 'error', description: 'plan crashed' });
    assert.deepEqual(
      seen.map((s) => [s.url, s.body.state, s.body.name]),
      [
        [`/api/v4/projects/42/statuses/${SHA}`, 'running', 'flinkops/prod/orders'],
        [`/api/v4/projects/42/statuses/${SHA}`, 'success', 'flinkops/prod/orders'],
        [`/api/v4/projects/42/statuses/${SHA}`, 'failed', 'flinkops/prod/orders'],
        [`/api/v4/projects/42/statuses/${SHA}`, 'failed', 'flinkops/plan'],
      ],
    );
    assert.equal(
      seen[2].body.description,
      'needs approval: add trailer Flinkops-Approve-Delete: prod/orders',
    );
  });

  it('keeps the description within 140 characters', async () => {
    await reporter().report(
      SHA,
      transitionStatus.failed('prod', 'orders', 'upgrade', `boom ${'y'.repeat(400)}`),
    );
    assert.ok(Array.from(String(seen[0].body.description)).length <= 140);
  });

  it('retries a 5xx and succeeds', async () => {
    script = [
      [500, 'Internal Server Error'],
      [503, 'Service Unavailable'],
    ];
    const outcome = await reporter().reportWithOutcome(
      SHA,
      transitionStatus.succeeded('prod', 'orders', ['resume']),
    );
    assert.deepEqual(outcome, { ok: true, attempts: 3 });
    assert.equal(seen.length, 3);
  });

  it('reports a 401 once, does not retry and does not throw', async () => {
    script = [[401, '401 Unauthorized']];
    const outcome = await reporter().reportWithOutcome(
      SHA,
      transitionStatus.succeeded('prod', 'orders', ['resume']),
    );
    assert.equal(outcome.ok, false);
    assert.match(outcome.error ?? '', /HTTP 401/);
    assert.doesNotMatch(outcome.error ?? '', /glpat-/);
    assert.equal(seen.length, 1);
  });

  it('treats "cannot transition" (already in that state) as written', async () => {
    script = [
      [
        400,
        'Cannot transition status via :run from :running (Reason(s): Status cannot transition via "run")',
      ],
    ];
    const outcome = await reporter().reportWithOutcome(
      SHA,
      transitionStatus.step('prod', 'orders', 3, 3, 'resume'),
    );
    assert.deepEqual(outcome, { ok: true, attempts: 1 });
    assert.equal(seen.length, 1);
  });
});
