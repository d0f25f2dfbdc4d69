// POST /webhook/github and POST /webhook/generic: authenticated callers ask for an immediate poll.
// GitHub signs the exact bytes it sends, so this plugin reads bodies raw (its own content-type
// parser, scoped to the plugin) and checks X-Hub-Signature-256 before parsing anything.
// Answers: 401 missing/wrong signature or token, 409 a delivery id already seen (a replay),
// 202 poll requested or an event that needs none (ignored), 200 ping, 404 the webhook is not configured.
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { constantTimeEqual } from './constant-time.ts';
import type { FailureLimiter } from './failure-limiter.ts';
import type { WebhookSecrets } from './options.ts';
import type { ReplayGuard } from './replay-guard.ts';

// GitHub caps webhook payloads at 25 MB
const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;
const POLL_EVENTS = new Set(['push', 'pull_request']);

export interface WebhookOptions {
  secrets: WebhookSecrets;
  onPollRequested: (reason: string) => void;
  limiter: FailureLimiter;
  replayGuard: ReplayGuard;
  log: Logger;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function githubSignatureValid(
  body: Buffer,
  secret: string,
  signatureHeader: string | undefined,
): boolean {
  if (!signatureHeader?.startsWith('sha256=')) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return constantTimeEqual(signatureHeader, expected);
}

/** The JSON payload of a GitHub delivery, sent either as JSON or as a form field `payload`. */
function parseGithubPayload(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  try {
    const text = body.toString('utf8');
    const json = contentType?.startsWith('application/x-www-form-urlencoded')
      ? (new URLSearchParams(text).get('payload') ?? '{}')
      : text;
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function describeGithubEvent(event: string, payload: Record<string, unknown>): string {
  const repo = (payload.repository as { full_name?: string } | undefined)?.full_name ?? 'unknown repository';
  if (event === 'push') {
    const after = typeof payload.after === 'string' ? payload.after.slice(0, 7) : '?';
    return `github push ${repo} ${String(payload.ref ?? '')} @${after}`;
  }
  const pr = payload.pull_request as { number?: number } | undefined;
  return `github pull_request ${repo}#${pr?.number ?? '?'} ${String(payload.action ?? '')}`.trim();
}

function unauthorized(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(401).send({ error: 'unauthorized', message });
}

export async function webhookRoutes(app: FastifyInstance, options: WebhookOptions): Promise<void> {
  const { secrets, onPollRequested, limiter, replayGuard, log } = options;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
    (_request, body, done) => {
      done(null, body);
    },
  );

  app.post('/webhook/github', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
    if (!secrets.githubSecret) {
      return reply
        .code(404)
        .send({ error: 'not_configured', message: 'the GitHub webhook secret is not configured' });
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = header(request, 'x-hub-signature-256');
    if (!signature || !githubSignatureValid(body, secrets.githubSecret, signature)) {
      limiter.recordFailure(request.ip);
      log.warn(
        { ip: request.ip, signed: Boolean(signature) },
        'GitHub webhook with a missing or wrong signature',
      );
      return unauthorized(
        reply,
        signature ? 'X-Hub-Signature-256 does not match' : 'X-Hub-Signature-256 is missing',
      );
    }
    const delivery = header(request, 'x-github-delivery');
    if (!delivery) {
      return reply.code(400).send({ error: 'bad_request', message: 'X-GitHub-Delivery is missing' });
    }
    if (!replayGuard.firstSeen(delivery)) {
      log.warn({ delivery }, 'GitHub webhook delivery replayed');
      return reply
        .code(409)
        .send({ error: 'replayed', message: `delivery ${delivery} was already received` });
    }
    const event = header(request, 'x-github-event') ?? '';
    if (event === 'ping') return reply.code(200).send({ ok: true, message: 'pong' });
    if (!POLL_EVENTS.has(event)) {
      return reply.code(202).send({ ok: true, message: `event "${event}" ignored` });
    }
    const reason = describeGithubEvent(event, parseGithubPayload(body, header(request, 'content-type')));
    log.info({ delivery, reason }, 'webhook requested a poll');
    onPollRequested(reason);
    return reply.code(202).send({ ok: true, message: `poll requested (${reason})` });
  });

  app.post('/webhook/generic', async (request, reply) => {
    if (!secrets.genericToken) {
      return reply
        .code(404)
        .send({ error: 'not_configured', message: 'the generic webhook token is not configured' });
    }
    const authorization = header(request, 'authorization') ?? '';
    const bearer = /^bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
    if (!bearer || !constantTimeEqual(bearer, secrets.genericToken)) {
      limiter.recordFailure(request.ip);
      log.warn({ ip: request.ip }, 'generic webhook with a missing or wrong token');
      return unauthorized(
        reply,
        bearer ? 'the bearer token does not match' : 'Authorization: Bearer <token> is missing',
      );
    }
    log.info({ ip: request.ip }, 'generic webhook requested a poll');
    onPollRequested('generic webhook');
    return reply.code(202).send({ ok: true, message: 'poll requested' });
  });
}
