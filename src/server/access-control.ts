// One onRequest hook that decides who may reach what:
//  - /healthz and /readyz are open (probes carry no credentials);
//  - /webhook/* authenticate themselves (HMAC or their own token), but share the failure throttle;
//  - everything else needs the UI credential when one is configured (it must be when listening
//    beyond loopback: see server.ts), and every write request (the queue UI's) must be same-origin.
// Without a credential (loopback only) the Host header must name loopback, which stops a hostile
// web page from reaching the UI through DNS rebinding.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { checkCredential, hasCredential } from './credentials.ts';
import type { FailureLimiter } from './failure-limiter.ts';
import { isLoopbackHost } from './listen-address.ts';
import type { UiCredentials } from './options.ts';
import { checkSameOrigin } from './same-origin.ts';

const OPEN_PATHS = new Set(['/healthz', '/readyz']);
// exact paths: a prefix test would also exempt a crafted path such as /webhook/../queues/...
const WEBHOOK_PATHS = new Set(['/webhook/github', '/webhook/generic']);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AccessControlOptions {
  credentials?: UiCredentials;
  limiter: FailureLimiter;
  publicUrl?: string;
  log: Logger;
}

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

function deny(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, message });
}

export function installAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  const { credentials, limiter, publicUrl, log } = options;
  const required = hasCredential(credentials);
  const challenge = credentials?.basic
    ? 'Basic realm="flinkops", charset="UTF-8"'
    : 'Bearer realm="flinkops"';

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request.url);
    if (OPEN_PATHS.has(path)) return;

    const wait = limiter.blockedFor(request.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return deny(
        reply,
        429,
        'too_many_failures',
        `too many failed authentication attempts; retry in ${wait} s`,
      );
    }
    if (WEBHOOK_PATHS.has(path)) return;

    let scheme: string | null = null;
    if (required && credentials) {
      const result = checkCredential(request.headers.authorization, credentials);
      if (result.outcome !== 'accepted') {
        if (result.outcome === 'rejected') {
          limiter.recordFailure(request.ip);
          log.warn({ ip: request.ip, path, scheme: result.scheme }, 'rejected UI credential');
        }
        reply.header('WWW-Authenticate', challenge);
        return deny(
          reply,
          401,
          'unauthorized',
          'this flinkops server needs a credential (bearer token or basic auth)',
        );
      }
      scheme = result.scheme;
    } else if (!isLoopbackHost(hostName(request.headers.host))) {
      return deny(
        reply,
        403,
        'forbidden_host',
        `Host "${request.headers.host ?? ''}" is not loopback; configure a UI credential to serve other host names`,
      );
    }

    // every write outside the webhooks, not only paths that look like /queues: the router decodes
    // percent-escapes (/%71ueues reaches the UI), so a prefix test could be sidestepped
    if (WRITE_METHODS.has(request.method)) {
      if (scheme === 'bearer') return;
      const verdict = checkSameOrigin(request.headers, publicUrl);
      if (!verdict.ok) {
        log.warn(
          { ip: request.ip, path, method: request.method, reason: verdict.reason },
          'refused cross-site write',
        );
        return deny(
          reply,
          403,
          'cross_site_request',
          `refused a ${request.method} that is not same-origin: ${verdict.reason}`,
        );
      }
    }
  });
}
