// Shared setup of the worker, safety and crash tests: a private Redis, the embedded cluster at high
// speed over real HTTP, the real cluster client, a real temp git repo holding the savepoint ledger,
// and the real worker host running workers/index.ts. Nothing here is mocked.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { createClusterClient } from '../../src/cluster/client.ts';
import type { ClusterClient } from '../../src/cluster/types.ts';
import { GitLedger } from '../../src/ledger/git-ledger.ts';
import type { Ledger } from '../../src/ledger/types.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import type { StepAction, Transition } from '../../src/plan/types.ts';
import { connectRedis } from '../../src/queue/connection.ts';
import { enqueueTransition } from '../../src/queue/enqueue.ts';
import type { TransitionJobInput } from '../../src/queue/flow.ts';
import { stepJobId } from '../../src/queue/ids.ts';
import type { StepConfig } from '../../src/queue/step-handler.ts';
import type { EnqueueResult } from '../../src/queue/transition-queue.ts';
import type { StepJobData, StepResult } from '../../src/queue/types.ts';
import { type StepWorkers, startStepWorkers } from '../../src/queue/worker-host.ts';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import type { JobTruth, StoredSnapshot } from '../../src/sim/types.ts';
import { stepHandlers } from '../../workers/index.ts';
import { TestRepo } from '../helpers/git-repo.ts';
import { TestRedis } from '../helpers/redis-server.ts';
import { makeTempDir } from '../helpers/tmp.ts';

/** Simulated time runs this many times faster than real time: a 2 s savepoint takes ~10 ms. */
export const SPEED = 200;

export interface WorkersEnvOptions {
  rollback?: StepConfig['rollback'];
  timeouts?: Partial<StepConfig['timeouts']>;
  /** false: no in-process worker host (the crash tests run workers in child processes) */
  inProcessWorkers?: boolean;
}

/** The Git-notes ledger on the test repo with its Redis cache, as a worker process opens it. */
export function openLedger(redisUrl: string, repoDir: string): Ledger & { close(): void } {
  const redis = connectRedis(redisUrl);
  redis.on('error', () => undefined); // reconnects on its own; tests stop Redis on purpose
  const ledger = new GitLedger({ repoDir, redis, remote: false });
  return Object.assign(ledger, { close: () => redis.disconnect() });
}

export interface WorkersEnv {
  redis: TestRedis;
  sim: EmbeddedCluster;
  kubeconfigPath: string;
  client: ClusterClient;
  repo: TestRepo;
  ledger: Ledger & { close(): void };
  /** drops the ledger's Redis connection and opens a fresh one (as a restarted process would) */
  reopenLedger(): void;
  host: StepWorkers | null;
  /** commits in the temp repo, one per call: the ledger keeps its notes on them */
  commit(message: string): string;
  startHost(): Promise<StepWorkers>;
  stop(): Promise<void>;
}

export async function startWorkersEnv(options: WorkersEnvOptions = {}): Promise<WorkersEnv> {
  const tmp = makeTempDir('flinkops-workers-');
  const redis = await TestRedis.start();
  const kubeconfigPath = `${tmp.dir}/kubeconfig`;
  const sim = await startEmbeddedCluster({ port: 0, speed: SPEED, kubeconfigOut: kubeconfigPath });
  const client = createClusterClient({ kubeconfigPath });
  const repo = TestRepo.init(`${tmp.dir}/repo`);
  repo.write('README.md', 'flink jobs\n').commit('initial');
  let ledger = openLedger(redis.url, repo.dir);
  let counter = 0;
  const env: WorkersEnv = {
    redis,
    sim,
    kubeconfigPath,
    client,
    repo,
    get ledger() {
      return ledger;
    },
    reopenLedger() {
      ledger.close();
      ledger = openLedger(redis.url, repo.dir);
    },
    host: null,
    commit(message) {
      counter += 1;
      repo.write(`changes/${counter}.txt`, `${message}\n`);
      return repo.commit(message);
    },
    async startHost() {
      env.host = await startStepWorkers({
        redisUrl: redis.url,
        handlers: stepHandlers,
        cluster: client,
        ledger: env.ledger,
        concurrency: 4,
        policy: { backoffMs: 100 },
        config: {
          rollback: options.rollback ?? 'off',
          ...(options.timeouts ? { timeouts: options.timeouts } : {}),
        },
      });
      return env.host;
    },
    async stop() {
      await env.host?.close(5_000).catch(() => undefined);
      ledger.close();
      await sim.stop();
      await redis.stop();
      tmp.cleanup();
    },
  };
  if (options.inProcessWorkers !== false) await env.startHost();
  return env;
}

export interface ManifestOptions {
  image?: string;
  upgradeMode?: 'savepoint' | 'last-state' | 'stateless';
  state?: 'running' | 'suspended';
  annotations?: Record<string, string>;
}

/** A stateful streaming job as teams write them (operator example basic-checkpoint-ha, trimmed). */
export function flinkJob(namespace: string, name: string, options: ManifestOptions = {}): FlinkDeployment {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace, ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec: {
      image: options.image ?? 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: 'flink',
      flinkConfiguration: {
        'taskmanager.numberOfTaskSlots': '2',
        'state.savepoints.dir': 's3://flink-data/savepoints',
        'state.checkpoints.dir': 's3://flink-data/checkpoints',
        'execution.checkpointing.interval': '10s',
        'high-availability.type': 'kubernetes',
        'high-availability.storageDir': 's3://flink-data/ha',
      },
      jobManager: { resource: { memory: '2048m', cpu: 1 } },
      taskManager: { resource: { memory: '2048m', cpu: 1 } },
      job: {
        jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar',
        parallelism: 2,
        upgradeMode: options.upgradeMode ?? 'savepoint',
        state: options.state ?? 'running',
      },
    },
  };
}

export function transitionOf(
  namespace: string,
  name: string,
  change: Transition['change'],
  actions: StepAction[],
): Transition {
  return {
    namespace,
    name,
    change,
    steps: actions.map((action) => ({ action, reason: `test: ${action}` })),
    safety: change === 'delete' ? 'needs-approval' : 'safe',
    warnings: [],
    diff: [],
  };
}

export function enqueue(env: WorkersEnv, input: TransitionJobInput): Promise<EnqueueResult> {
  if (!env.host) throw new Error('no worker host: call env.startHost() first');
  return enqueueTransition(env.host.queue, input);
}

/** Thrown inside an `eventually` check to stop waiting at once (the awaited thing can no longer happen). */
export class GiveUp extends Error {}

/** Polls until `check` returns a value; fails naming `what` (generous bounds: shared 2-core machine). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    await sleep(50);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${(lastError as Error).message})` : ''}`,
  );
}

export async function stepJob(
  env: WorkersEnv,
  jobId: string,
): Promise<Job<StepJobData, StepResult> | undefined> {
  if (!env.host) throw new Error('no worker host');
  return (await env.host.queue.queue.getJob(jobId)) as Job<StepJobData, StepResult> | undefined;
}

/** Waits until the step job reaches `state` ('completed' | 'failed') and returns it. */
export async function stepReaches(
  env: WorkersEnv,
  jobId: string,
  state: 'completed' | 'failed',
  timeoutMs = 90_000,
): Promise<Job<StepJobData, StepResult>> {
  return eventually(
    `step ${jobId} to be ${state}`,
    async () => {
      const job = await stepJob(env, jobId);
      if (!job) return null;
      const current = await job.getState();
      // re-read: the job fetched above may predate the state change (no failedReason/returnvalue yet)
      if (current === state) return (await stepJob(env, jobId)) ?? null;
      if (state === 'completed') {
        // an earlier step of the transition that failed means this one will never run
        for (let i = 0; i <= job.data.stepIndex; i++) {
          const step = await stepJob(
            env,
            stepJobId(job.data.transitionId, i, job.data.transition.steps[i].action),
          );
          if (step && (await step.getState()) === 'failed') {
            throw new GiveUp(`step ${step.id} failed, so ${jobId} cannot complete: ${step.failedReason}`);
          }
        }
      }
      return null;
    },
    timeoutMs,
  );
}

export async function stepState(env: WorkersEnv, jobId: string): Promise<string> {
  const job = await stepJob(env, jobId);
  return job ? await job.getState() : 'missing';
}

/** The simulator's truth about a job (design.md contract): GET /sim/v1/namespaces/<ns>/jobs/<name>. */
export async function jobTruth(env: WorkersEnv, namespace: string, name: string): Promise<JobTruth> {
  const res = await fetch(`${env.sim.url}/sim/v1/namespaces/${namespace}/jobs/${name}`);
  if (!res.ok) throw new Error(`GET jobs/${namespace}/${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as JobTruth;
}

export async function storedSavepoints(
  env: WorkersEnv,
  namespace: string,
  name: string,
): Promise<StoredSnapshot[]> {
  const res = await fetch(`${env.sim.url}/sim/v1/storage`);
  if (!res.ok) throw new Error(`GET storage: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { items: StoredSnapshot[] };
  return body.items.filter((s) => s.kind === 'savepoint' && s.namespace === namespace && s.name === name);
}

/** Creates a running job through a real create step (and waits until it is STABLE + RUNNING). */
export async function createRunningJob(env: WorkersEnv, manifest: FlinkDeployment): Promise<string> {
  const namespace = manifest.metadata.namespace as string;
  const name = manifest.metadata.name;
  const commit = env.commit(`create ${namespace}/${name}`);
  const result = await enqueue(env, {
    commit,
    transition: transitionOf(namespace, name, 'create', ['create']),
    target: manifest,
    previous: null,
  });
  await stepReaches(env, result.jobIds[0], 'completed');
  return commit;
}

/** Lets the job run for a while (in simulated time) so offsets and checkpoints move. */
export async function letItRun(
  env: WorkersEnv,
  namespace: string,
  name: string,
  minOffset = 500,
): Promise<JobTruth> {
  return eventually(`${namespace}/${name} to process ${minOffset} records`, async () => {
    const truth = await jobTruth(env, namespace, name);
    return truth.running && truth.offset >= minOffset ? truth : null;
  });
}
