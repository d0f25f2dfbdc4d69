// Shared setup of the GitOps loop tests: a bare "remote" repository and a work clone that pushes to
// it (real git), a private Redis, the embedded cluster at high speed, and flinkops itself started
// through startFlinkops exactly as `flinkops run` does (manual polling so tests decide when to poll).
import { setTimeout as sleep } from 'node:timers/promises';
import { createClusterClient } from '../../src/cluster/client.ts';
import { loadRunConfig, type RunConfig } from '../../src/config.ts';
import { type RunningFlinkops, startFlinkops } from '../../src/gitops/run.ts';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import type { JobTruth } from '../../src/sim/types.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { TestRedis } from '../helpers/redis-server.ts';
import { makeTempDir } from '../helpers/tmp.ts';

export const SPEED = 200;

export interface GitopsEnv {
  tmp: string;
  redis: TestRedis;
  sim: EmbeddedCluster;
  kubeconfigPath: string;
  remote: TestRepo;
  work: TestRepo;
  /** commits everything in the work clone and pushes it; returns the sha */
  push(message: string, options?: { force?: boolean }): string;
  start(overrides?: Record<string, unknown>): Promise<RunningFlinkops>;
  /** the statuses note of a commit, as the design.md contract stores it (read from the remote) */
  statuses(
    sha: string,
  ): Record<string, { state: string; description: string; updatedAt: string; targetUrl?: string }>;
  job(namespace: string, name: string): Promise<JobTruth>;
  stop(): Promise<void>;
}

export function statefulManifest(
  name: string,
  image: string,
  extra: { namespace?: string; state?: string; annotations?: Record<string, string> } = {},
): string {
  const annotations = extra.annotations
    ? `\n  annotations:\n${Object.entries(extra.annotations)
        .map(([k, v]) => `    ${k}: "${v}"`)
        .join('\n')}`
    : '';
  return `apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: ${name}
  namespace: ${extra.namespace ?? 'streaming'}${annotations}
spec:
  image: ${image}
  flinkVersion: v1_20
  serviceAccount: flink
  flinkConfiguration:
    state.savepoints.dir: s3://state/savepoints/${name}
    state.checkpoints.dir: s3://state/checkpoints/${name}
    execution.checkpointing.interval: 10s
  jobManager:
    resource: { memory: 1024m, cpu: 1 }
  taskManager:
    resource: { memory: 1024m, cpu: 1 }
  job:
    jarURI: local:///opt/flink/usrlib/${name}.jar
    parallelism: 2
    upgradeMode: savepoint
    state: ${extra.state ?? 'running'}
`;
}

export async function startGitopsEnv(): Promise<GitopsEnv> {
  const { dir, cleanup } = makeTempDir('flinkops-gitops-');
  const redis = await TestRedis.start();
  const kubeconfigPath = `${dir}/kubeconfig`;
  const sim = await startEmbeddedCluster({ port: 0, speed: SPEED, kubeconfigOut: kubeconfigPath });
  const remote = TestRepo.init(`${dir}/remote.git`, { bare: true });
  const work = TestRepo.init(`${dir}/work`);
  work.git('remote', 'add', 'origin', remote.dir);
  const running: RunningFlinkops[] = [];
  let n = 0;
  return {
    tmp: dir,
    redis,
    sim,
    kubeconfigPath,
    remote,
    work,
    push(message, options = {}) {
      const sha = work.commit(message);
      work.git('push', '-q', ...(options.force ? ['-f'] : []), 'origin', 'main');
      return sha;
    },
    async start(overrides = {}) {
      const config: RunConfig = loadRunConfig({
        flags: {
          repo: remote.dir,
          branch: 'main',
          redisUrl: redis.url,
          workDir: `${dir}/flinkops-${n++}`,
          noServer: true,
          kubeconfig: kubeconfigPath,
          ...overrides,
        },
      });
      const flinkops = await startFlinkops(config, {
        cluster: createClusterClient({ kubeconfigPath }),
        manualPolling: true,
        workerTuning: { lockDuration: 5_000, stalledInterval: 2_000, sweepIntervalMs: 1_000 },
      });
      running.push(flinkops);
      return flinkops;
    },
    statuses(sha) {
      try {
        const raw = remote.git('notes', '--ref=flinkops', 'show', sha);
        return (JSON.parse(raw) as { statuses: ReturnType<GitopsEnv['statuses']> }).statuses;
      } catch {
        return {};
      }
    },
    async job(namespace, name) {
      const res = await fetch(`${sim.url}/sim/v1/namespaces/${namespace}/jobs/${name}`);
      if (!res.ok) throw new Error(`no simulated job ${namespace}/${name}: ${res.status}`);
      return (await res.json()) as JobTruth;
    },
    async stop() {
      for (const f of running) await f.stop().catch(() => undefined);
      await sim.stop();
      await redis.stop();
      cleanup();
    },
  };
}

/** Polls `check` until it returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`,
  );
}
