// `flinkops run --repo URL|DIR --branch B [--paths GLOB...] --kubeconfig FILE --redis URL
//   [--status notes|github|gitlab] [--role poller|worker|all] [--once] [--listen HOST:PORT] [--config FILE]`
// Runs poller and workers (by role) until SIGTERM/SIGINT. With --once: plans the current head, waits
// (bounded by --once-timeout) for every running or queued transition of the repository's deployments,
// prints a summary table and exits 0 only when every deployment is in step with head, 1 otherwise.

import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { setExitCode } from '../cli.ts';
import { ConfigError, configuredSecrets, loadRunConfig, type RunConfig } from '../config.ts';
import type { PollOutcome } from '../gitops/poller.ts';
import type { RunningFlinkops } from '../gitops/run.ts';
import { logger } from '../log.ts';
import { type ManifestError, splitDeploymentKey } from '../manifests/types.ts';
import { scrubSecrets } from '../status/scrub.ts';

interface RunFlags {
  config?: string;
  repo?: string;
  branch?: string;
  paths?: string[];
  defaultNamespace?: string;
  kubeconfig?: string;
  redis?: string;
  status?: string;
  role?: string;
  once?: boolean;
  onceTimeout: string;
  listen?: string;
  server: boolean;
  publicUrl?: string;
  workDir?: string;
  pollInterval?: string;
  concurrency?: string;
  rollback?: string;
  prRefs?: string[];
  readOnly?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('watch a Git branch and run the lifecycle steps its FlinkDeployment changes need')
    .option('--config <file>', 'YAML/JSON settings file (flags and FLINKOPS_* env override it)')
    .option('--repo <url|dir>', 'repository to track (URL or local path); cloned into --work-dir')
    .option('--branch <name>', 'branch to track (default main)')
    .option('--paths <glob...>', 'manifest file globs (default every *.yaml/*.yml outside dot-folders)')
    .option('--default-namespace <ns>', 'namespace of manifests without metadata.namespace')
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the cluster (default: $KUBECONFIG, ~/.kube/config or in-cluster)',
    )
    .option('--redis <url>', 'Redis URL for the queue and caches (default redis://127.0.0.1:6379)')
    .addOption(
      new Option('--status <provider>', 'where commit statuses go').choices(['notes', 'github', 'gitlab']),
    )
    .addOption(new Option('--role <role>', 'what this process does').choices(['poller', 'worker', 'all']))
    .option('--once', 'plan the current head, run every transition to its end, print a summary and exit')
    .option('--once-timeout <ms>', 'with --once: give up (exit 1) after this long', '1800000')
    .option('--listen <host:port>', 'HTTP server address (default 127.0.0.1:8080)')
    .option('--no-server', 'do not start the HTTP server (UI, webhooks, health, metrics)')
    .option('--public-url <url>', 'URL people reach the server at (links in commit statuses)')
    .option('--work-dir <dir>', 'folder flinkops owns for its clone (default .flinkops)')
    .option('--poll-interval <ms>', 'fetch interval in ms (default 30000, jittered)')
    .option('--concurrency <n>', 'steps run at once by this process (default 8)')
    .addOption(new Option('--rollback <mode>', 'after a failed resume').choices(['auto', 'off']))
    .option('--pr-refs <pattern...>', 'also plan these refs (e.g. refs/pull/*/head) and report flinkops/plan')
    .option('--read-only', 'the queue UI shows everything but allows no retries or removals')
    .action(async (flags: RunFlags, command: Command) => {
      setExitCode(command, await run(flags));
    });
}

function toSettings(flags: RunFlags): Record<string, unknown> {
  return {
    repo: flags.repo,
    branch: flags.branch,
    paths: flags.paths,
    defaultNamespace: flags.defaultNamespace,
    kubeconfig: flags.kubeconfig,
    redisUrl: flags.redis,
    status: flags.status,
    role: flags.role,
    once: flags.once,
    listen: flags.listen,
    noServer: flags.server === false ? true : undefined,
    publicUrl: flags.publicUrl,
    workDir: flags.workDir,
    pollIntervalMs: flags.pollInterval,
    concurrency: flags.concurrency,
    rollback: flags.rollback,
    prRefPatterns: flags.prRefs,
    'ui.readOnly': flags.readOnly,
  };
}

async function run(flags: RunFlags): Promise<number> {
  let config: RunConfig;
  try {
    config = loadRunConfig({ file: flags.config, env: process.env, flags: toSettings(flags) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`flinkops run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (config.once && config.role !== 'all') {
    process.stderr.write('flinkops run: --once runs the steps itself, so it needs --role all\n');
    return 2;
  }
  const onceTimeout = Number(flags.onceTimeout);
  if (config.once && !(Number.isFinite(onceTimeout) && onceTimeout > 0)) {
    process.stderr.write('flinkops run: --once-timeout must be a positive number of milliseconds\n');
    return 2;
  }
  // loaded here, not at the top: the whole runtime (BullMQ, Kubernetes client, Fastify) is only needed by `run`
  const { startFlinkops } = await import('../gitops/run.ts');
  if (config.once) return runOnceCommand(config, onceTimeout, startFlinkops);
  const flinkops = await startFlinkops(config, { manualPolling: config.once });
  if (flinkops.server) process.stdout.write(`flinkops UI: ${flinkops.server.uiUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(
        { signal },
        'shutting down: polling stops, running steps reach a safe point or are resumed elsewhere',
      );
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await flinkops.stop();
  return 0;
}

/** Redis must answer within this long (or the --once timeout, when shorter) before --once starts. */
const REDIS_PROBE_MS = 30_000;

/**
 * `run --once` as a whole bounded by its timeout: Redis is asked first (the queue and the workers would
 * otherwise wait for it forever), then startup, planning and the wait share the deadline.
 */
async function runOnceCommand(
  config: RunConfig,
  timeoutMs: number,
  start: typeof import('../gitops/run.ts').startFlinkops,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const secrets = configuredSecrets(config);
  const fail = (message: string) => {
    process.stderr.write(`flinkops run --once: ${scrubSecrets(message, secrets)}\n`);
    return 1;
  };
  const unreachable = await probeRedis(config.redisUrl, Math.min(timeoutMs, REDIS_PROBE_MS));
  if (unreachable) return fail(`cannot reach Redis at ${config.redisUrl}: ${unreachable}`);
  let flinkops: RunningFlinkops;
  const starting = start(config, { manualPolling: true });
  try {
    flinkops = await beforeDeadline(starting, deadline, 'starting (clone, Redis, workers)');
  } catch (err) {
    // a start still under way is stopped once it is done, so nothing it opens keeps the process alive
    void starting.then((late) => late.stop()).catch(() => undefined);
    return fail(errorText(err));
  }
  let code = 1;
  try {
    code = await runOnce(flinkops, Math.max(0, deadline - Date.now()));
    return code;
  } finally {
    const grace = new AbortController();
    const stopped = await Promise.race([
      flinkops.stop().then(() => true),
      sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort(); // the grace timer must not hold the process once stopped
    // Redis gone during the run: connections the queue library could not close would keep the process
    // alive forever; a run that hit its deadline ends anyway (the timer does not hold a clean exit)
    if (!stopped || Date.now() >= deadline) {
      setTimeout(() => {
        process.stderr.write('flinkops run --once: connections still open (Redis unreachable?): exiting\n');
        process.exit(code);
      }, 10_000).unref();
    }
  }
}

/** How long --once lets shutdown take (running steps get 30 s to reach a safe point). */
const STOP_GRACE_MS = 60_000;

/** null when Redis answers a PING within `timeoutMs`, else why not. */
async function probeRedis(url: string, timeoutMs: number): Promise<string | null> {
  const { connectRedis } = await import('../queue/connection.ts');
  const redis = connectRedis(url);
  let lastError = '';
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  try {
    await beforeDeadline(redis.ping(), Date.now() + timeoutMs, 'PING');
    return null;
  } catch (err) {
    // an answer that is an error (a wrong password) says so; silence names what the connection saw
    if (!(err instanceof DeadlineError)) return errorText(err);
    return `${lastError || 'no connection'} (no answer within ${seconds(timeoutMs)})`;
  } finally {
    redis.disconnect();
  }
}

class DeadlineError extends Error {}

/** `promise`, or a DeadlineError naming `what` once `deadline` (epoch ms) passes. */
async function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineError(`${what}: no end within the --once timeout (is Redis reachable?)`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

interface OnceRow {
  deployment: string;
  steps: string;
  result: string;
  ok: boolean;
}

/** After this many polls that each planned a change that waited for a running transition, --once stops. */
const MAX_ONCE_ROUNDS = 10;

/**
 * Plans head, then waits (until the deadline) for every transition of every deployment of this repository
 * that is running or queued — those this poll added and any other, such as a flow `flinkops retry` put
 * back — to finish; a change that waited for one of them is planned by another poll and waited for too.
 * Then prints one row per deployment that is not in step (failed, with the job to retry; waiting for
 * approval; still running) or was acted on, and per invalid manifest at head: exit 0 only when every
 * deployment is in step with head.
 */
export async function runOnce(flinkops: RunningFlinkops, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const secrets = configuredSecrets(flinkops.config);
  const clean = (text: string) => scrubSecrets(text, secrets).split('\n')[0].trim();
  /** the newest transition of each deployment that succeeded while this ran (failures: see the queue) */
  const succeeded = new Map<string, string>();
  flinkops.events.on('transition-finished', (info) =>
    succeeded.set(`${info.namespace}/${info.name}`, info.transitionId),
  );
  const planned = new Map<string, string>(); // deployment -> its planned steps
  let first: PollOutcome | null = null;
  let last: PollOutcome | null = null;
  let settled = false;
  let known = new Set<string>();
  try {
    for (let round = 0; round < MAX_ONCE_ROUNDS; round++) {
      const outcome = await beforeDeadline(flinkops.pollNow(), deadline, 'planning the current head');
      if (!outcome) {
        process.stderr.write(
          'flinkops run --once: another replica holds the poller lease for this repository\n',
        );
        return 1;
      }
      first ??= outcome;
      last = outcome;
      for (const p of outcome.planned)
        if (p.outcome !== 'waiting') planned.set(p.key, p.transition.steps.map((s) => s.action).join(', '));
      // this repository's deployments (a Redis shared with other repositories holds theirs too)
      known = new Set([...(await flinkops.state.deployments()).keys(), ...planned.keys()]);
      settled = await waitUntilSettled(flinkops, deadline, known);
      // a newer change that waited for a running transition is planned by a poll after it ended
      if (!settled || !(await changesWaiting(flinkops))) break;
    }
  } catch (err) {
    process.stderr.write(`flinkops run --once: ${clean(errorText(err))}\n`);
    return 1;
  }
  // the last reads get a little time beyond the deadline, not forever (Redis may have gone away)
  const readDeadline = Math.max(deadline, Date.now()) + 15_000;
  let rows: OnceRow[];
  try {
    rows = await beforeDeadline(
      onceRows(flinkops, { first: first!, last: last!, planned, known, succeeded, settled, clean }),
      readDeadline,
      'reading the outcome',
    );
  } catch (err) {
    process.stderr.write(`flinkops run --once: ${clean(errorText(err))}\n`);
    return 1;
  }
  printTable(rows);
  return rows.every((r) => r.ok) ? 0 : 1;
}

/** The queue's view of the deployments of this repository that have a running or pending transition. */
async function repositoryQueue(flinkops: RunningFlinkops, known: ReadonlySet<string>) {
  return (await flinkops.queue.overview()).filter((d) => known.has(d.deployment));
}

type QueueView = Awaited<ReturnType<typeof repositoryQueue>>[number];

/** The step a failed transition waits on (a human retry), if it does. */
function failedStep(view: QueueView) {
  return view.running?.steps.find((s) => s.state === 'failed');
}

/** Whether nothing of this repository runs or waits to run any more (failed transitions wait for a human). */
async function waitUntilSettled(
  flinkops: RunningFlinkops,
  deadline: number,
  known: ReadonlySet<string>,
): Promise<boolean> {
  for (;;) {
    const busy = (
      await beforeDeadline(repositoryQueue(flinkops, known), deadline, 'reading the queue')
    ).filter((d) => !failedStep(d) && (d.running || d.pending.length > 0));
    if (busy.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
  }
}

/** Whether a change waits to be planned now that the transition it waited for is over. */
async function changesWaiting(flinkops: RunningFlinkops): Promise<boolean> {
  const records = await flinkops.state.deploymentsNeedingAttention();
  const waiting = [...records].filter(([, r]) => r.waitingFor);
  for (const [key] of waiting) {
    const [namespace, name] = splitDeploymentKey(key);
    const status = await flinkops.queue.deploymentStatus(namespace, name);
    // a change behind a failed transition stays waiting until a human retries it
    if (!status.running?.steps.some((s) => s.state === 'failed')) return true;
  }
  return false;
}

async function onceRows(
  flinkops: RunningFlinkops,
  run: {
    first: PollOutcome;
    last: PollOutcome;
    planned: ReadonlyMap<string, string>;
    known: ReadonlySet<string>;
    succeeded: ReadonlyMap<string, string>;
    settled: boolean;
    clean: (text: string) => string;
  },
): Promise<OnceRow[]> {
  const { clean } = run;
  const rows = new Map<string, OnceRow>();
  const stepsOf = async (key: string, transitionId?: string) =>
    (transitionId ? (await flinkops.transitionSteps(transitionId))?.join(', ') : undefined) ??
    run.planned.get(key) ??
    '-';
  // invalid manifests anywhere at head, as `flinkops plan` reports them, not only in the files just read
  const errors = new Map<string, ManifestError>();
  for (const error of [
    ...run.last.errors,
    ...((await flinkops.poller?.manifestErrorsAt(run.last.head)) ?? []),
  ])
    errors.set(`${error.file}:${error.line}:${error.column}`, error);
  for (const [where, error] of errors)
    rows.set(where, {
      deployment: where,
      steps: '-',
      result: `invalid manifest: ${clean(error.message)}`,
      ok: false,
    });
  // what the queue still holds: failed transitions (waiting for a retry) and, after a timeout, running ones
  const views = await repositoryQueue(flinkops, run.known);
  for (const view of views) {
    if (!view.running && view.pending.length === 0) continue;
    const steps = view.running
      ? view.running.steps.map((s) => s.action).join(', ')
      : await stepsOf(view.deployment, view.pending[0]?.transitionId);
    const failed = failedStep(view);
    let result: string;
    if (failed) {
      const reason = failed.failedReason ? `: ${clean(failed.failedReason)}` : '';
      result = `failed at ${failed.action}${reason} (retry: flinkops retry ${failed.jobId})`;
    } else {
      const at = view.running?.steps.find((s) => s.state !== 'completed');
      result = `not finished within the --once timeout${at ? ` (${at.action} ${at.state})` : ''}`;
    }
    rows.set(view.deployment, { deployment: view.deployment, steps, result, ok: false });
  }
  const records = await flinkops.state.deployments();
  for (const [key, record] of records) {
    if (rows.has(key)) continue;
    if (record.awaitingApproval) {
      const [namespace, name] = splitDeploymentKey(key);
      rows.set(key, {
        deployment: key,
        steps: 'guarded-delete',
        result: `needs approval: add trailer Flinkops-Approve-Delete: ${namespace}/${name}`,
        ok: false,
      });
    } else if (record.waitingFor) {
      rows.set(key, {
        deployment: key,
        steps: await stepsOf(key),
        result: `waiting for ${record.waitingFor.transitionId} to end${run.settled ? '' : ' (not within the --once timeout)'}`,
        ok: false,
      });
    }
  }
  // transitions that succeeded here (planned now, or earlier: a retried flow)
  for (const [key, transitionId] of run.succeeded) {
    if (rows.has(key)) continue;
    rows.set(key, {
      deployment: key,
      steps: await stepsOf(key, transitionId),
      result: 'succeeded',
      ok: true,
    });
  }
  for (const key of run.first.inSync)
    if (!rows.has(key)) rows.set(key, { deployment: key, steps: '-', result: 'in sync', ok: true });
  return [...rows.values()].sort((a, b) =>
    a.deployment < b.deployment ? -1 : a.deployment > b.deployment ? 1 : 0,
  );
}

function printTable(rows: OnceRow[]): void {
  const header = { deployment: 'DEPLOYMENT', steps: 'STEPS', result: 'RESULT' };
  const all = [header, ...rows];
  const w1 = Math.max(...all.map((r) => r.deployment.length));
  const w2 = Math.max(...all.map((r) => r.steps.length));
  for (const r of all)
    process.stdout.write(`${r.deployment.padEnd(w1)}  ${r.steps.padEnd(w2)}  ${r.result}\n`);
  if (rows.length === 0) process.stdout.write('nothing to do: every deployment is in step with head\n');
}
