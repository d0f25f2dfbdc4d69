// What the HTTP server needs from the rest of flinkops. Everything is injected, so the server can be
// started in a test with a real queue and nothing else.
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { FlinkopsMetrics } from './metrics.ts';

export interface UiCredentials {
  /** accepted as `Authorization: Bearer <token>` (scripts, curl) */
  token?: string;
  /** accepted as HTTP Basic auth (browsers) */
  basic?: { user: string; password: string };
}

export interface WebhookSecrets {
  /** the secret configured on the GitHub webhook; /webhook/github answers 404 without it */
  githubSecret?: string;
  /** bearer token for /webhook/generic; the route answers 404 without it */
  genericToken?: string;
}

export interface ReadinessCheck {
  /** what was checked, e.g. "redis", "git fetch", "kubernetes api" */
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ServerOptions {
  /** "host:port"; default 127.0.0.1:8080 */
  listen?: string;
  auth?: UiCredentials;
  /** the queue UI shows everything but refuses retries, removals and other writes (HTTP 405) */
  readOnly?: boolean;
  /** the queues shown in the UI and counted in /metrics (the steps queue) */
  queues: Queue[];
  webhook?: WebhookSecrets;
  /** asks the poller to fetch now; `reason` is a one-line description for logs */
  onPollRequested: (reason: string) => void;
  /** each dependency the process needs to do work: Redis, git fetch, the Kubernetes API */
  readiness?: () => Promise<ReadinessCheck[]>;
  /** defaults to the process-wide instance the workers and poller record into */
  metrics?: FlinkopsMetrics;
  /** the URL people reach the server at (behind a proxy); used in logs and as an allowed Origin */
  publicUrl?: string;
  logger?: Logger;
  /** auth-failure throttling; defaults: 10 failures per address per minute */
  authFailureLimit?: { maxFailures?: number; windowMs?: number };
  /**
   * behind a reverse proxy or ingress: take the client address from X-Forwarded-For (Fastify's
   * trustProxy), so the auth-failure throttle blocks the client and not the proxy
   */
  trustProxy?: boolean | string | string[];
  /** how long /readyz waits for the checks before answering 503 (default 5000 ms) */
  readinessTimeoutMs?: number;
}
