// /healthz answers while the process can answer at all (liveness: restart me if this fails);
// /readyz runs the injected dependency checks (Redis, git fetch, Kubernetes API) and names each one
// that is not ok, so `kubectl describe` on a failing probe tells the operator what to fix.
import type { FastifyInstance } from 'fastify';
import type { ReadinessCheck } from './options.ts';

export interface HealthOptions {
  readiness?: () => Promise<ReadinessCheck[]>;
  timeoutMs: number;
}

function threw(err: unknown): ReadinessCheck {
  return {
    name: 'readiness',
    ok: false,
    detail: `checks threw: ${err instanceof Error ? err.message : String(err)}`,
  };
}

async function runChecks(options: HealthOptions): Promise<ReadinessCheck[]> {
  if (!options.readiness) return [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessCheck[]>((resolve) => {
    timer = setTimeout(
      () =>
        resolve([
          { name: 'readiness', ok: false, detail: `checks did not answer within ${options.timeoutMs} ms` },
        ]),
      options.timeoutMs,
    );
  });
  try {
    const checks = options.readiness().catch((err: unknown) => [threw(err)]);
    return await Promise.race([checks, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    const checks = await runChecks(options);
    const failing = checks.filter((check) => !check.ok);
    if (failing.length === 0) return reply.code(200).send({ ok: true, checks });
    const message = `not ready: ${failing.map((c) => (c.detail ? `${c.name} (${c.detail})` : c.name)).join(', ')}`;
    return reply.code(503).send({ ok: false, message, failing: failing.map((c) => c.name), checks });
  });
}

/** Wraps one probe (e.g. a Redis PING) as a named readiness check with its own time limit. */
export async function probe(
  name: string,
  check: () => Promise<unknown>,
  timeoutMs = 3000,
): Promise<ReadinessCheck> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name, ok: true };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
