// Commit-to-enqueue latency of the GitOps loop (issue 5): a repository of 10,000 FlinkDeployments, a
// commit that changes 5 of them is pushed, the generic webhook fires, and the clock stops when the 5
// transitions are in the queue. Baseline, measured in the same run on the same repository: `git fetch`
// + `git diff --name-status` alone in another clone. Targets: within 1.5x of the baseline, and under
// 1 s from the end of flinkops' own fetch to the last enqueue. Medians over 11 rounds (the first rounds
// run on a cold process: JIT, first reads of the repository), FLINKOPS_BENCH_ROUNDS to change.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClusterClient } from '../../src/cluster/client.ts';
import { loadRunConfig } from '../../src/config.ts';
import { PollerState, repoIdOf } from '../../src/gitops/poller-state.ts';
import { startFlinkops } from '../../src/gitops/run.ts';
import { loadValidator } from '../../src/manifests/crd-validator.ts';
import { connectRedis } from '../../src/queue/connection.ts';
import { startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { git, TEST_GIT_ENV, TestRepo } from '../helpers/git-repo.ts';
import { TestRedis } from '../helpers/redis-server.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { bumpManifests, median, writeGeneratedManifests } from './generated-repo.ts';

/** namespace/name of generated manifest i (as benchManifest names it) */
const benchKey = (i: number) => `team-${String(i % 100).padStart(2, '0')}/job-${String(i).padStart(5, '0')}`;

const COUNT = Number(process.env.FLINKOPS_BENCH_MANIFESTS ?? 10_000);
const CHANGED = 5;
const RUNS = Number(process.env.FLINKOPS_BENCH_ROUNDS ?? 11);
const TOKEN = 'bench-webhook-token';
const run = promisify(execFile);

const tmp = makeTempDir('flinkops-bench-loop-');
const redis = await TestRedis.start();
const kubeconfigPath = join(tmp.dir, 'kubeconfig');
const sim = await startEmbeddedCluster({ port: 0, simulator: false, kubeconfigOut: kubeconfigPath });
try {
  const remote = TestRepo.init(join(tmp.dir, 'remote.git'), { bare: true });
  const work = TestRepo.init(join(tmp.dir, 'work'));
  work.git('remote', 'add', 'origin', remote.dir);
  let t = performance.now();
  const initial = writeGeneratedManifests(work.dir, COUNT);
  work.git('push', '-q', 'origin', 'main');
  git(tmp.dir, ['clone', '-q', remote.dir, join(tmp.dir, 'baseline')]);
  console.log(`generated and pushed ${COUNT} manifests in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await loadValidator();

  // flinkops has already planned the repository: its poller state says so, with a record per
  // deployment as the first poll leaves them (applied and desired at the initial commit)
  const seed = connectRedis(redis.url);
  const seeded = new PollerState(seed, repoIdOf(remote.dir, 'main'));
  await seeded.setLastPlanned(initial);
  const record = JSON.stringify({ applied: initial, desired: initial });
  const records: string[] = [];
  for (let i = 0; i < COUNT; i++) records.push(benchKey(i), record);
  await seed.hset(`flinkops:poller:${seeded.repoId}:deployments`, ...records);
  seed.disconnect();

  const config = loadRunConfig({
    flags: {
      repo: remote.dir,
      branch: 'main',
      redisUrl: redis.url,
      kubeconfig: kubeconfigPath,
      workDir: join(tmp.dir, 'flinkops'),
      role: 'poller',
      listen: '127.0.0.1:0',
      pollIntervalMs: 600_000,
      'webhook.genericToken': TOKEN,
    },
  });
  const flinkops = await startFlinkops(config, { cluster: createClusterClient({ kubeconfigPath }) });
  let fetchStartedAt = 0;
  let fetchedAt = 0;
  const fetch0 = flinkops.mirror.fetch.bind(flinkops.mirror);
  flinkops.mirror.fetch = async () => {
    fetchStartedAt = performance.now();
    const head = await fetch0();
    fetchedAt = performance.now();
    return head;
  };
  const queued = new Map<string, number[]>();
  flinkops.events.on('transition-queued', (info) => {
    const times = queued.get(info.commit) ?? [];
    times.push(performance.now());
    queued.set(info.commit, times);
  });
  // wait for the first (no-op) poll so the loop sleeps, as it would between pushes
  await flinkops.pollNow();

  const baseline: number[] = [];
  const latency: number[] = [];
  const afterFetch: number[] = [];
  const toFetch: number[] = [];
  const ownFetch: number[] = [];
  let previous = initial;
  /** each commit is measured on an idle flinkops: the previous commit's statuses are written first */
  const statusesWritten = async (sha: string) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        const note = JSON.parse(remote.git('notes', '--ref=flinkops', 'show', sha)) as { statuses: object };
        if (Object.keys(note.statuses).length >= CHANGED) return;
      } catch {
        // no note yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  for (let round = 0; round < RUNS; round++) {
    if (round > 0) await statusesWritten(previous);
    const indexes = Array.from({ length: CHANGED }, (_, k) => (round * CHANGED + k * 997) % COUNT);
    const sha = bumpManifests(work.dir, indexes, `flink:1.20.${round + 1}`);
    work.git('push', '-q', 'origin', 'main');

    t = performance.now();
    await run('git', ['fetch', '-q', 'origin', 'main'], {
      cwd: join(tmp.dir, 'baseline'),
      env: { ...process.env, ...TEST_GIT_ENV },
    });
    await run('git', ['diff', '--name-status', previous, sha], {
      cwd: join(tmp.dir, 'baseline'),
      maxBuffer: 64 << 20,
    });
    baseline.push(performance.now() - t);

    t = performance.now();
    const res = await fetch(`${flinkops.server!.url}/webhook/generic`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (res.status >= 300) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    const deadline = Date.now() + 60_000;
    while ((queued.get(sha)?.length ?? 0) < CHANGED && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 2));
    const times = queued.get(sha) ?? [];
    if (times.length < CHANGED)
      throw new Error(`only ${times.length} of ${CHANGED} transitions enqueued for ${sha}`);
    const last = Math.max(...times);
    latency.push(last - t);
    afterFetch.push(last - fetchedAt);
    toFetch.push(fetchStartedAt - t);
    ownFetch.push(fetchedAt - fetchStartedAt);
    previous = sha;
  }
  await flinkops.stop();

  const b = median(baseline);
  const l = median(latency);
  const a = median(afterFetch);
  const range = (values: number[]) =>
    `(rounds ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`;
  console.log(`repository: ${COUNT} manifests; each commit changes ${CHANGED}; median of ${RUNS} rounds`);
  console.log(`baseline  git fetch + git diff --name-status : ${b.toFixed(0)} ms ${range(baseline)}`);
  console.log(
    `flinkops  webhook -> ${CHANGED} transitions enqueued   : ${l.toFixed(0)} ms ${range(latency)}`,
  );
  console.log(`          webhook -> its fetch starts         : ${median(toFetch).toFixed(0)} ms`);
  console.log(`          its fetch (+ resolving the head)    : ${median(ownFetch).toFixed(0)} ms`);
  console.log(
    `          after its fetch completed           : ${a.toFixed(0)} ms ${range(afterFetch)} (target < 1000 ms)`,
  );
  console.log(`ratio flinkops / baseline: ${(l / b).toFixed(2)}x (target <= 1.5x)`);
} finally {
  await sim.stop();
  await redis.stop();
  tmp.cleanup();
}
