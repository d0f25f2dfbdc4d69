// The flinkops HTTP server: queue UI (/queues), webhooks, /healthz, /readyz, /metrics.
// buildServer wires the routes without listening (tests can inject); startServer also refuses to
// expose an unauthenticated UI: on any address other than 127.0.0.1, ::1 or localhost it needs a
// credential, because the UI can retry steps that restart Flink jobs.
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { logger as rootLogger } from '../log.ts';
import { installAccessControl } from './access-control.ts';
import { hasCredential } from './credentials.ts';
import { FailureLimiter } from './failure-limiter.ts';
import { healthRoutes } from './health.ts';
import {
  DEFAULT_LISTEN,
  formatListen,
  isLoopbackHost,
  type ListenAddress,
  parseListen,
} from './listen-address.ts';
import { defaultMetrics } from './metrics.ts';
import type { ServerOptions } from './options.ts';
import { QUEUE_UI_PREFIX, queueBoard } from './queue-board.ts';
import { ReplayGuard } from './replay-guard.ts';
import { securityHeaders } from './security-headers.ts';
import { webhookRoutes } from './webhooks.ts';

export type { ReadinessCheck, ServerOptions, UiCredentials, WebhookSecrets } from './options.ts';

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 (the bound port, also when 0 was asked for) */
  url: string;
  /** where people should open the UI: publicUrl or url, plus /queues */
  uiUrl: string;
  close: () => Promise<void>;
}

/** Throws when the address would expose the UI without a credential. */
export function assertListenAllowed(address: ListenAddress, options: Pick<ServerOptions, 'auth'>): void {
  if (isLoopbackHost(address.host) || hasCredential(options.auth)) return;
  throw new Error(
    `refusing to listen on ${formatListen(address)} without a UI credential: the queue UI can restart Flink jobs. ` +
      'Set a UI token (auth.token) or basic-auth user and password (auth.basic), or listen on 127.0.0.1',
  );
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const address = parseListen(options.listen ?? DEFAULT_LISTEN);
  assertListenAllowed(address, options);
  const log = (options.logger ?? rootLogger).child({ component: 'server' });
  const metrics = options.metrics ?? defaultMetrics;
  metrics.trackQueues(options.queues);
  const limiter = new FailureLimiter(options.authFailureLimit);

  const app = Fastify({
    loggerInstance: log,
    trustProxy: options.trustProxy ?? false,
    // the UI polls every few seconds: per-request logs would drown everything else
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  await securityHeaders(app);
  installAccessControl(app, {
    credentials: options.auth,
    limiter,
    publicUrl: options.publicUrl,
    log,
  });
  await app.register(healthRoutes, {
    readiness: options.readiness,
    timeoutMs: options.readinessTimeoutMs ?? 5000,
  });
  await app.register(webhookRoutes, {
    secrets: options.webhook ?? {},
    onPollRequested: options.onPollRequested,
    limiter,
    replayGuard: new ReplayGuard(),
    log,
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
  app.get('/', async (_request, reply) => reply.redirect(`${QUEUE_UI_PREFIX}/`));
  await queueBoard(app, { queues: options.queues, readOnly: options.readOnly ?? false });
  return app;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const address = parseListen(options.listen ?? DEFAULT_LISTEN);
  assertListenAllowed(address, options);
  const app = await buildServer(options);
  await app.listen({ host: address.host, port: address.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  const url = `http://${formatListen({ host: address.host, port })}`;
  const uiUrl = `${(options.publicUrl ?? url).replace(/\/$/, '')}${QUEUE_UI_PREFIX}/`;
  app.log.info({ url, uiUrl, readOnly: options.readOnly ?? false }, 'flinkops server listening');
  return { app, url, uiUrl, close: () => app.close() };
}
