// A standalone step-worker process: `node --import tsx src/queue/worker-main.ts --redis URL [options]`.
// Loads the step handlers from a module (default workers/index.ts, export `stepHandlers`), starts the
// worker host and closes it gracefully on SIGTERM/SIGINT. Prints "ready <pid>" once it takes jobs.
// Options may also come from the environment (FLINKOPS_REDIS_URL, FLINKOPS_WORKER_CONCURRENCY, ...).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClusterClient } from '../cluster/types.ts';
import type { Ledger } from '../ledger/types.ts';
import { logger } from '../log.ts';
import type { StepHandlers } from './step-handler.ts';
import { startStepWorkers } from './worker-host.ts';

/** What a handlers module may export besides the handlers: factories for what the handlers use. */
interface HandlersModule {
  stepHandlers?: Partial<StepHandlers>;
  default?: Partial<StepHandlers>;
  createCluster?: () => ClusterClient | Promise<ClusterClient>;
  createLedger?: (options: { redisUrl: string; repo?: string }) => Ledger | Promise<Ledger>;
}

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: process.env.FLINKOPS_REDIS_URL },
    handlers: { type: 'string', default: process.env.FLINKOPS_STEP_HANDLERS ?? 'workers/index.ts' },
    repo: { type: 'string', default: process.env.FLINKOPS_REPO },
    kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
    'no-cluster': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: process.env.FLINKOPS_WORKER_CONCURRENCY ?? '4' },
    'lock-duration': { type: 'string', default: process.env.FLINKOPS_LOCK_DURATION_MS ?? '30000' },
    'stalled-interval': { type: 'string', default: process.env.FLINKOPS_STALLED_INTERVAL_MS ?? '30000' },
    'max-stalled-count': { type: 'string', default: process.env.FLINKOPS_MAX_STALLED_COUNT ?? '3' },
    'sweep-interval': { type: 'string', default: process.env.FLINKOPS_SWEEP_INTERVAL_MS ?? '30000' },
    rollback: { type: 'string', default: process.env.FLINKOPS_ROLLBACK ?? 'off' },
  },
});

function positiveInt(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** The real cluster client from the kubeconfig (or the pod's service account), unless --no-cluster. */
async function defaultCluster(): Promise<ClusterClient | undefined> {
  if (values['no-cluster']) return undefined;
  const { createClusterClient } = await import('../cluster/client.ts');
  return createClusterClient(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {});
}

/** The Git-backed ledger on --repo, cached in the same Redis; without --repo steps that need it fail clearly. */
async function defaultLedger(redisUrl: string): Promise<Ledger | undefined> {
  if (!values.repo) return undefined;
  const { GitLedger } = await import('../ledger/git-ledger.ts');
  const { connectRedis } = await import('./connection.ts');
  return new GitLedger({ repoDir: values.repo, redis: connectRedis(redisUrl) });
}

async function main(): Promise<void> {
  if (!values.redis) throw new Error('--redis URL (or FLINKOPS_REDIS_URL) is required');
  const redisUrl = values.redis;
  const modulePath = resolve(values.handlers as string);
  const mod = (await import(pathToFileURL(modulePath).href)) as HandlersModule;
  const handlers = mod.stepHandlers ?? mod.default;
  if (!handlers) throw new Error(`${modulePath} exports no stepHandlers`);
  const cluster = mod.createCluster ? await mod.createCluster() : await defaultCluster();
  const ledger = mod.createLedger
    ? await mod.createLedger({ redisUrl, ...(values.repo ? { repo: values.repo } : {}) })
    : await defaultLedger(redisUrl);
  const host = await startStepWorkers({
    redisUrl,
    handlers,
    ...(cluster ? { cluster } : {}),
    ...(ledger ? { ledger } : {}),
    config: { rollback: values.rollback === 'auto' ? 'auto' : 'off' },
    concurrency: positiveInt('concurrency', values.concurrency),
    lockDuration: positiveInt('lock-duration', values['lock-duration']),
    stalledInterval: positiveInt('stalled-interval', values['stalled-interval']),
    maxStalledCount: positiveInt('max-stalled-count', values['max-stalled-count']),
    sweepIntervalMs: positiveInt('sweep-interval', values['sweep-interval']),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'closing step workers');
    host.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdout.write(`ready ${process.pid}\n`);
}

main().catch((err) => {
  process.stderr.write(`flinkops worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
