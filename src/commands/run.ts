// `flinkops run --repo URL|DIR --branch B [--paths GLOB...] --kubeconfig FILE --redis URL
//   [--status notes|github|gitlab] [--role poller|worker|all] [--once] [--listen HOST:PORT] [--config FILE]`
// Runs poller and workers (by role) until SIGTERM/SIGINT. With --once: plans the current head, runs
// every transition to its end, prints a summary table and exits 0 when all succeeded, 1 otherwise.
import { type Command, Option } from 'commander';
import { setExitCode } from '../cli.ts';
import { ConfigError, configuredSecrets, loadRunConfig, type RunConfig } from '../config.ts';
import type { PollOutcome } from '../gitops/poller.ts';
import type { RunningFlinkops } from '../gitops/run.ts';
import { logger } from '../log.ts';
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
    .option('--once-timeout <ms>', 'with --once: give up waiting after this long', '1800000')
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
  // loaded here, not at the top: the whole runtime (BullMQ, Kubernetes client, Fastify) is only needed by `run`
  const { startFlinkops } = await import('../gitops/run.ts');
  const flinkops = await startFlinkops(config, { manualPolling: config.once });
  if (config.once) {
    try {
      return await runOnce(flinkops, Number(flags.onceTimeout));
    } finally {
      await flinkops.stop();
    }
  }
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

interface OnceRow {
  deployment: string;
  steps: string;
  result: string;
  ok: boolean;
}

/** Plans head once, waits for every enqueued transition to finish or fail, prints a table. */
export async function runOnce(flinkops: RunningFlinkops, timeoutMs: number): Promise<number> {
  const rows = new Map<string, OnceRow>();
  const waiting = new Map<string, string>(); // transitionId -> deployment
  const ended = new Map<string, { ok: boolean; text: string }>();
  flinkops.events.on('transition-finished', (info) =>
    ended.set(info.transitionId, { ok: true, text: 'succeeded' }),
  );
  const secrets = configuredSecrets(flinkops.config);
  flinkops.events.on('transition-failed', (info) =>
    ended.set(info.transitionId, {
      ok: false,
      text: `failed at ${info.action}: ${scrubSecrets(info.error, secrets).split('\n')[0]}`,
    }),
  );
  let outcome: PollOutcome | null;
  try {
    outcome = await flinkops.pollNow();
  } catch (err) {
    process.stderr.write(`flinkops run --once: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (!outcome) {
    process.stderr.write('flinkops run --once: another replica holds the poller lease for this repository\n');
    return 1;
  }
  for (const error of outcome.errors) {
    rows.set(`${error.file}:${error.line}`, {
      deployment: `${error.file}:${error.line}:${error.column}`,
      steps: '-',
      result: `invalid manifest: ${error.message}`,
      ok: false,
    });
  }
  for (const key of outcome.inSync)
    rows.set(key, { deployment: key, steps: '-', result: 'in sync', ok: true });
  for (const planned of outcome.planned) {
    const steps = planned.transition.steps.map((s) => s.action).join(', ');
    if (planned.outcome === 'needs-approval') {
      rows.set(planned.key, {
        deployment: planned.key,
        steps,
        result: 'needs approval (Flinkops-Approve-Delete trailer)',
        ok: false,
      });
    } else if (planned.transitionId && planned.outcome !== 'empty') {
      waiting.set(planned.transitionId, planned.key);
      rows.set(planned.key, { deployment: planned.key, steps, result: 'running', ok: false });
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && [...waiting.keys()].some((id) => !ended.has(id))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const [transitionId, key] of waiting) {
    const end = ended.get(transitionId);
    const row = rows.get(key)!;
    row.result = end ? end.text : `not finished within ${Math.round(timeoutMs / 1000)} s`;
    row.ok = end?.ok ?? false;
  }
  printTable([...rows.values()]);
  return [...rows.values()].every((r) => r.ok) ? 0 : 1;
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
