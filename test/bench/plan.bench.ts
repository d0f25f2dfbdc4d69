// Planning cost on a generated repository of 10,000 FlinkDeployment manifests (issue 2):
//  - incremental plan of a commit changing 10 manifests vs `git diff --name-status` of the same two
//    commits measured in the same run (target: ratio <= 3, i.e. O(changed files));
//  - full plan (empty tree -> all 10,000; target < 2 s on this 2-core machine);
//  - for information, an incremental plan of a commit adding one manifest: a deployment that appears
//    in the changed files costs one `git grep` of the tree (is it defined in an untouched file too?).
// Each figure is the median of several runs in this process (the CRD validator is loaded once first,
// as every flinkops process does; its one-time cost is printed separately).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadValidator } from '../../src/manifests/crd-validator.ts';
import { planGitRange } from '../../src/plan/plan-git-range.ts';
import { git } from '../helpers/git-repo.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const COUNT = 10_000;
const CHANGED = 10;
const RUNS = 5;
const run = promisify(execFile);

function manifest(i: number, image: string): string {
  const name = `job-${String(i).padStart(5, '0')}`;
  return `# generated FlinkDeployment ${i}
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: ${name}
  namespace: team-${String(i % 100).padStart(2, '0')}
  labels:
    app.kubernetes.io/name: ${name}
spec:
  image: ${image}
  flinkVersion: v1_20
  serviceAccount: flink
  flinkConfiguration:
    taskmanager.numberOfTaskSlots: "2"
    state.savepoints.dir: s3://flink/savepoints/${name}
    state.checkpoints.dir: s3://flink/checkpoints/${name}
    high-availability.type: kubernetes
    high-availability.storageDir: s3://flink/ha/${name}
  jobManager:
    resource:
      memory: "2048m"
      cpu: 1
  taskManager:
    resource:
      memory: "2048m"
      cpu: 1
  job:
    jarURI: local:///opt/flink/usrlib/${name}.jar
    parallelism: ${1 + (i % 8)}
    upgradeMode: ${i % 3 === 0 ? 'last-state' : 'savepoint'}
    state: running
`;
}

function pathOf(i: number): string {
  return `teams/team-${String(i % 100).padStart(2, '0')}/job-${String(i).padStart(5, '0')}.yaml`;
}

/** Median wall time of several runs; also this process's CPU time (git children not included). */
async function median(label: string, fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `  ${label.padEnd(44)} median ${mid(times).toFixed(1).padStart(8)} ms  node cpu ${mid(cpu).toFixed(0).padStart(6)} ms  (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`,
  );
  return mid(times);
}

const tmp = makeTempDir('flinkops-plan-bench-');
try {
  const repoDir = join(tmp.dir, 'repo');
  mkdirSync(repoDir);
  git(repoDir, ['init', '-q', '--initial-branch=main']);
  let start = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const file = join(repoDir, pathOf(i));
    if (i < 100)
      mkdirSync(join(repoDir, `teams/team-${String(i % 100).padStart(2, '0')}`), { recursive: true });
    writeFileSync(file, manifest(i, 'flink:1.20'));
  }
  git(repoDir, ['add', '-A']);
  git(repoDir, ['commit', '-q', '-m', `${COUNT} manifests`]);
  const base = git(repoDir, ['rev-parse', 'HEAD']);
  for (let k = 0; k < CHANGED; k++) {
    const i = k * 997;
    writeFileSync(join(repoDir, pathOf(i)), manifest(i, 'flink:1.20.1'));
  }
  git(repoDir, ['commit', '-q', '-a', '-m', `change ${CHANGED}`]);
  const head = git(repoDir, ['rev-parse', 'HEAD']);
  writeFileSync(join(repoDir, pathOf(COUNT)), manifest(COUNT, 'flink:1.20'));
  git(repoDir, ['add', '-A']);
  git(repoDir, ['commit', '-q', '-m', 'add one']);
  const added = git(repoDir, ['rev-parse', 'HEAD']);
  // objects packed, as in a clone or the poller's fetched mirror (10,000 loose files would measure the disk)
  git(repoDir, ['repack', '-adq']);
  console.log(`repo of ${COUNT} manifests generated in ${(performance.now() - start).toFixed(0)} ms`);
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  start = performance.now();
  await loadValidator();
  console.log(
    `  CRD validator load (once per process)        ${(performance.now() - start).toFixed(1).padStart(8)} ms`,
  );

  const check = await planGitRange({ repoDir, base, head });
  if (check.transitions.length !== CHANGED || check.errors.length !== 0) {
    throw new Error(
      `incremental plan found ${check.transitions.length} transitions, ${check.errors.length} errors`,
    );
  }
  const full = await planGitRange({ repoDir, base: '', head: base });
  if (full.transitions.length !== COUNT || full.errors.length !== 0) {
    throw new Error(`full plan found ${full.transitions.length} transitions, ${full.errors.length} errors`);
  }

  const diff = await median('git diff --name-status base head', () =>
    run('git', ['diff', '--name-status', '-z', '--no-renames', base, head], { cwd: repoDir }),
  );
  const incremental = await median(`incremental plan (${CHANGED} changed files)`, () =>
    planGitRange({ repoDir, base, head }),
  );
  const ratio = incremental / diff;
  const create = await planGitRange({ repoDir, base: head, head: added });
  if (create.transitions.map((t) => t.change).join() !== 'create' || create.errors.length !== 0) {
    throw new Error('the plan of the commit adding one manifest is not one create');
  }
  await median('incremental plan (1 added file, + git grep)', () =>
    planGitRange({ repoDir, base: head, head: added }),
  );
  const fullMs = await median(
    `full plan (empty tree -> ${COUNT})`,
    () => planGitRange({ repoDir, base: '', head: base }),
    3,
  );
  console.log(
    `  ratio incremental plan / git diff            ${ratio.toFixed(2).padStart(8)} x   (target <= 3)`,
  );
  console.log(
    `  full plan                                    ${fullMs.toFixed(0).padStart(8)} ms  (target < 2000)`,
  );
  const ok = ratio <= 3 && fullMs < 2000;
  console.log(ok ? 'plan bench: targets met' : 'plan bench: TARGET MISSED');
  process.exitCode = ok ? 0 : 1;
} finally {
  tmp.cleanup();
}
