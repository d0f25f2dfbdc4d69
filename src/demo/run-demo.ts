// `flinkops demo`: the embedded cluster, a Redis, a local bare Git repository seeded from
// manifests/examples, and flinkops itself with its UI, then the scripted story. Everything it starts
// lives in one temp dir and is stopped and removed on exit (Ctrl-C included).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClusterClient } from '../cluster/client.ts';
import { loadRunConfig } from '../config.ts';
import { type RunningFlinkops, startFlinkops } from '../gitops/run.ts';
import { GitLedger } from '../ledger/git-ledger.ts';
import { connectRedis } from '../queue/connection.ts';
import { startEmbeddedCluster } from '../sim/cluster.ts';
import { provideDemoRedis } from './demo-redis.ts';
import { runStory } from './script.ts';
import { git, Story } from './story.ts';

export interface DemoOptions {
  speed: number;
  listen: string;
  story: boolean;
  /** end when the story is told (tests, CI) instead of waiting for Ctrl-C */
  exitAfterStory: boolean;
  print: (text: string) => void;
}

const EXAMPLES_DIR = resolve(fileURLToPath(new URL('../../manifests/examples', import.meta.url)));

export async function runDemo(options: DemoOptions): Promise<number> {
  const print = options.print;
  const dir = mkdtempSync(join(tmpdir(), 'flinkops-demo-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const redis = await provideDemoRedis();
    cleanups.push(() => redis.stop());
    const kubeconfigPath = join(dir, 'kubeconfig');
    const sim = await startEmbeddedCluster({ port: 0, speed: options.speed, kubeconfigOut: kubeconfigPath });
    cleanups.push(() => sim.stop());
    const remoteDir = join(dir, 'flink-jobs.git');
    const workDir = join(dir, 'work');
    git(dir, ['init', '-q', '--bare', '--initial-branch=main', remoteDir]);
    git(dir, ['init', '-q', '--initial-branch=main', workDir]);
    git(workDir, ['remote', 'add', 'origin', remoteDir]);
    git(workDir, ['commit', '-q', '--allow-empty', '-m', 'Empty repository of Flink jobs']);
    git(workDir, ['push', '-q', 'origin', 'HEAD:main']);

    const config = loadRunConfig({
      flags: {
        repo: remoteDir,
        branch: 'main',
        redisUrl: redis.url,
        kubeconfig: kubeconfigPath,
        workDir: join(dir, 'flinkops'),
        listen: options.listen,
        pollIntervalMs: 2_000,
        paths: ['jobs/**/*.yaml'],
      },
    });
    const cluster = createClusterClient({ kubeconfigPath });
    let flinkops: RunningFlinkops;
    try {
      flinkops = await startFlinkops(config, { cluster, manualPolling: options.story });
    } catch (err) {
      if (String(err).includes('EADDRINUSE')) {
        print(`${options.listen} is taken; starting the UI on a free port instead`);
        flinkops = await startFlinkops(
          { ...config, listen: `${options.listen.split(':')[0]}:0` },
          { cluster, manualPolling: options.story },
        );
      } else throw err;
    }
    cleanups.push(() => flinkops.stop());
    const uiUrl = flinkops.server?.uiUrl ?? null;
    print('flinkops demo');
    print(`  embedded cluster  ${sim.url}  (kubectl --kubeconfig ${kubeconfigPath} get flinkdep -A)`);
    print(`  redis             ${redis.origin}`);
    print(`  git repository    ${remoteDir}  (clone it, push FlinkDeployments under jobs/)`);
    print(`  queue UI          ${uiUrl ?? 'off'}`);
    print(`  simulated speed   ${options.speed}x`);

    let ok = true;
    if (options.story) {
      const ledgerRedis = connectRedis(redis.url);
      cleanups.push(async () => ledgerRedis.disconnect());
      const ledger = new GitLedger({ repoDir: flinkops.mirror.dir, redis: ledgerRedis, remote: false });
      const world = {
        workDir,
        remoteDir,
        flinkops,
        cluster,
        truth: sim.simulator!,
        uiUrl,
        print,
        chapterTimeoutMs: Math.max(60_000, 600_000 / options.speed),
      };
      ok = await runStory(new Story(world), world, EXAMPLES_DIR, ledger);
      print(ok ? '\nThe story went as promised.' : '\nSome chapters did not go as promised (see ✗ above).');
    }
    if (!options.exitAfterStory) {
      // from here on the poll loop runs on its own: push to the repository and watch it act
      flinkops.startPollLoop();
      print(
        `\nEverything stays up: open ${uiUrl ?? 'the UI'}, push to ${remoteDir}. Ctrl-C stops and cleans up.`,
      );
      await new Promise<void>((resolvePromise) => {
        if (interrupted) return resolvePromise();
        process.once('SIGINT', () => resolvePromise());
        process.once('SIGTERM', () => resolvePromise());
      });
    }
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}
