// `flinkops run`: wires the poller, the step workers, the status reporter, the ledger and the HTTP
// server into one process, by role (poller | worker | all). Shutdown stops polling first, lets running
// steps reach a safe point (or leaves them to stalled-job recovery), then closes Redis.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { stepHandlers } from '../../workers/index.ts';
import { createClusterClient } from '../cluster/client.ts';
import type { ClusterClient } from '../cluster/types.ts';
import { configuredSecrets, type RunConfig } from '../config.ts';
import { RepoMirror } from '../git/mirror.ts';
import { GitLedger } from '../ledger/git-ledger.ts';
import { childLogger, redactSecretsInLogs } from '../log.ts';
import { connectRedis } from '../queue/connection.ts';
import { TransitionEvents } from '../queue/events.ts';
import { TransitionQueue } from '../queue/transition-queue.ts';
import { STEPS_QUEUE, type StepJobData } from '../queue/types.ts';
import { type StepWorkers, startStepWorkers } from '../queue/worker-host.ts';
import { defaultMetrics } from '../server/metrics.ts';
import { type RunningServer, startServer } from '../server/server.ts';
import { createReporter } from '../status/index.ts';
import type { PolicyReporter } from '../status/policy.ts';
import { within } from '../within.ts';
import { Poller, type PollOutcome } from './poller.ts';
import { PollerLease } from './poller-lease.ts';
import { PollerState, repoIdOf } from './poller-state.ts';
import { bridgeTransitionStatuses } from './status-bridge.ts';

const log = childLogger({ component: 'run' });

export interface RunningFlinkops {
  config: RunConfig;
  mirror: RepoMirror;
  queue: TransitionQueue;
  events: TransitionEvents;
  reporter: PolicyReporter;
  server: RunningServer | null;
  workers: StepWorkers | null;
  poller: Poller | null;
  /** what the poller remembers per deployment of this repository and branch */
  state: PollerState;
  /** the actions of a transition the queue knows, null when it no longer does */
  transitionSteps(transitionId: string): Promise<string[] | null>;
  /** asks the poll loop to fetch now (webhooks, tests) */
  requestPoll(reason: string): void;
  /** starts the interval poll loop when it was started with manualPolling */
  startPollLoop(): void;
  /** one poll now, if this replica holds the lease; null when another replica plans */
  pollNow(): Promise<PollOutcome | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** a ready cluster client (tests, demo); default: from config.kubeconfig or in-cluster */
  cluster?: ClusterClient;
  /** do not start the interval poll loop (--once, tests that poll by hand) */
  manualPolling?: boolean;
  /** worker tuning for tests */
  workerTuning?: { lockDuration?: number; stalledInterval?: number; sweepIntervalMs?: number };
}

export async function startFlinkops(config: RunConfig, options: StartOptions = {}): Promise<RunningFlinkops> {
  const repoId = repoIdOf(config.repo, config.branch);
  const mirror = new RepoMirror({
    source: config.repo,
    branch: config.branch,
    workDir: join(config.workDir, repoId),
    token: config.gitToken,
    username: config.gitUsername,
    extraRefPatterns: config.prRefPatterns,
  });
  await mirror.ensureClone();
  // every configured credential is scrubbed from every status and log line, whoever writes it
  const secrets = configuredSecrets(config);
  redactSecretsInLogs(secrets);
  let reporter: PolicyReporter;
  let cluster: ClusterClient;
  try {
    reporter = createReporter(
      config.status === 'github'
        ? { provider: 'github', ...config.github, secrets }
        : config.status === 'gitlab'
          ? { provider: 'gitlab', ...config.gitlab, secrets }
          : { provider: 'notes', repoDir: mirror.dir, env: mirror.env(), secrets },
    );
    cluster =
      options.cluster ?? createClusterClient(config.kubeconfig ? { kubeconfigPath: config.kubeconfig } : {});
  } catch (err) {
    mirror.close();
    throw err;
  }
  // from here on Redis connections are open (and reconnect forever): a start that fails half-way closes
  // what it opened, so the process does not hang on them after reporting the error
  const redis: Redis = connectRedis(config.redisUrl);
  redis.on('error', (err) => log.debug({ err: err.message }, 'redis connection error (reconnecting)'));
  const ledger = new GitLedger({ repoDir: mirror.dir, redis, gitEnv: mirror.env(), secrets });
  const events = new TransitionEvents();
  const queue = new TransitionQueue({ redisUrl: config.redisUrl, events });
  const opened: (() => Promise<unknown> | undefined)[] = [
    () => {
      mirror.close();
      redis.disconnect();
      return undefined;
    },
    () => within(queue.close(), 5_000),
  ];
  const orClose = async <T>(starting: Promise<T>): Promise<T> => {
    try {
      return await starting;
    } catch (err) {
      for (const close of [...opened].reverse()) await close()?.catch(() => undefined);
      throw err;
    }
  };
  const state = new PollerState(redis, repoId);
  /** the actions of a transition the queue knows (its stored input), for statuses and --once */
  const transitionSteps = async (transitionId: string): Promise<string[] | null> => {
    const record = await queue.locks.record(transitionId);
    if (!record) return null;
    return (queue.flowOf(record).data as StepJobData).transition.steps.map((s) => s.action);
  };
  let uiBase: string | undefined = config.publicUrl
    ? `${config.publicUrl.replace(/\/$/, '')}/queues/`
    : undefined;
  const targetUrl = (jobId: string | null) =>
    uiBase ? `${uiBase}queue/${STEPS_QUEUE}${jobId ? `/${encodeURIComponent(jobId)}` : ''}` : undefined;

  const runsWorkers = config.role !== 'poller';
  const runsPoller = config.role !== 'worker';
  let workers: StepWorkers | null = null;
  let flushWorkerStatuses: () => Promise<void> = async () => {};
  if (runsWorkers) {
    flushWorkerStatuses = bridgeTransitionStatuses({
      events,
      reporter,
      state,
      targetUrl,
      onStepFinished: (action, seconds) => defaultMetrics.observeStep(action, seconds),
      onTransitionEnded: (outcome) => defaultMetrics.recordTransition(outcome),
      onSavepointRecorded: () => defaultMetrics.recordSavepoint(),
      secrets,
      transitionSteps,
    });
    const started = await orClose(
      startStepWorkers({
        redisUrl: config.redisUrl,
        handlers: stepHandlers,
        cluster,
        ledger,
        events,
        concurrency: config.concurrency,
        config: { rollback: config.rollback, timeouts: config.timeouts },
        ...options.workerTuning,
      }),
    );
    workers = started;
    opened.push(() => started.close(5_000));
  }

  let lastFetchError: string | null = null;
  let poller: Poller | null = null;
  let lease: PollerLease | null = null;
  let wake: (() => void) | null = null;
  let stopping = false;
  let loop: Promise<void> | null = null;
  if (runsPoller) {
    poller = new Poller({
      mirror,
      state,
      queue,
      reporter,
      cluster,
      ledger,
      globs: config.paths,
      defaultNamespace: config.defaultNamespace,
      prRefPatterns: config.prRefPatterns,
      targetUrl,
    });
    lease = new PollerLease(redis, {
      key: state.leaseKey,
      ttlMs: Math.max(5_000, Math.min(60_000, config.pollIntervalMs * 2)),
      onLost: () => log.warn('lost the poller lease: another replica plans now; this one stops planning'),
    });
  }

  // polls never overlap (the interval loop, webhooks and tests all come through here)
  let polling: Promise<unknown> = Promise.resolve();
  const statusWrites = new Set<Promise<void>>();
  /** one poll, after any running one; resolves once planned and enqueued (statuses may still be written) */
  const pollLocked = async (): Promise<PollOutcome | null> => {
    const run = polling.then(pollOnceHoldingLease, pollOnceHoldingLease);
    polling = run.catch(() => undefined);
    const outcome = await run;
    if (outcome) {
      const written = outcome.statusesWritten;
      statusWrites.add(written);
      void written.finally(() => statusWrites.delete(written));
    }
    return outcome;
  };
  /** one poll; resolves when its commit statuses are written too (tests, --once, the demo) */
  const pollNow = async (): Promise<PollOutcome | null> => {
    const outcome = await pollLocked();
    await outcome?.statusesWritten;
    return outcome;
  };
  const pollOnceHoldingLease = async (): Promise<PollOutcome | null> => {
    if (!poller || !lease) return null;
    // the holder renews its lease while it fetches (a webhook's poll does not wait for that round
    // trip); a replica without it takes it first, so standby replicas never fetch
    let renewal: Promise<boolean> | undefined;
    const renewalFailure: { err?: unknown } = {};
    if (lease.isHeld)
      renewal = lease.tryAcquire().catch((err: unknown) => {
        renewalFailure.err = err;
        return false;
      });
    else if (await lease.tryAcquire()) poller.reindexOnNextPoll();
    else return null;
    try {
      const outcome = await poller.pollOnce(renewal);
      if (outcome) {
        lastFetchError = null;
        await state.markPolled(true);
        defaultMetrics.markPollSucceeded();
        if (outcome.mode !== 'none' || outcome.planned.length) {
          log.info(
            {
              head: outcome.head,
              mode: outcome.mode,
              planned: outcome.planned.map((p) => `${p.key}:${p.outcome}`),
              errors: outcome.errors.length,
            },
            'planned',
          );
        }
        return outcome;
      }
    } catch (err) {
      lastFetchError = err instanceof Error ? err.message : String(err);
      await state.markPolled(false, lastFetchError).catch(() => undefined);
      throw err;
    }
    // the lease was lost, or could not be renewed, while fetching: nothing was planned
    if ('err' in renewalFailure) throw renewalFailure.err;
    return null;
  };

  // a request that arrives while a poll runs is remembered, so the commit it announces is not left
  // for the next interval
  let pollRequested = false;
  const requestPoll = (reason: string) => {
    log.info({ reason }, 'poll requested');
    pollRequested = true;
    wake?.();
  };

  const startPollLoop = () => {
    if (!runsPoller || loop) return;
    loop = (async () => {
      let failures = 0;
      while (!stopping) {
        pollRequested = false;
        try {
          // the loop does not wait for status writes: a webhook during them is served at once
          await pollLocked();
          failures = 0;
        } catch (err) {
          failures++;
          log.warn(
            { err: err instanceof Error ? err.message : String(err), failures },
            'poll failed; backing off',
          );
        }
        const base = failures
          ? Math.min(config.pollIntervalMs * 2 ** failures, 10 * 60_000)
          : config.pollIntervalMs;
        const delay = base * (0.8 + Math.random() * 0.4);
        if (stopping) break;
        if (pollRequested && !failures) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    })();
  };
  if (!options.manualPolling && !config.once) startPollLoop();
  opened.push(async () => {
    stopping = true;
    wake?.();
    await loop?.catch(() => undefined);
    if (lease) await within(lease.release(), 3_000);
  });

  let server: RunningServer | null = null;
  if (!config.noServer) {
    server = await orClose(
      startServer({
        listen: config.listen,
        auth: {
          ...(config.ui.token ? { token: config.ui.token } : {}),
          ...(config.ui.user && config.ui.password
            ? { basic: { user: config.ui.user, password: config.ui.password } }
            : {}),
        },
        readOnly: config.ui.readOnly,
        queues: [queue.queue],
        webhook: config.webhook,
        onPollRequested: requestPoll,
        publicUrl: config.publicUrl,
        readiness: async () => [
          await check('redis', async () => {
            await redis.ping();
          }),
          {
            name: 'git fetch',
            ok: lastFetchError === null,
            ...(lastFetchError ? { detail: lastFetchError } : {}),
          },
          await check('kubernetes api', () => cluster.ping()),
        ],
      }),
    );
    uiBase ??= server.uiUrl;
  }

  return {
    config,
    mirror,
    queue,
    events,
    reporter,
    server,
    workers,
    poller,
    state,
    transitionSteps,
    requestPoll,
    startPollLoop,
    pollNow,
    async stop() {
      stopping = true;
      wake?.();
      await loop?.catch(() => undefined);
      await Promise.allSettled([...statusWrites]);
      // bounded: with Redis gone the release would wait forever (the lease expires on its own)
      if (lease) await within(lease.release(), 3_000);
      await server?.close().catch(() => undefined);
      await workers?.close().catch(() => undefined);
      await flushWorkerStatuses();
      await within(queue.close(), 5_000); // bounded too: BullMQ's close waits for Redis
      mirror.close();
      redis.disconnect();
    },
  };
}

async function check(name: string, probe: () => Promise<void>) {
  try {
    await Promise.race([probe(), sleep(3_000).then(() => Promise.reject(new Error('no answer within 3 s')))]);
    return { name, ok: true };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}
