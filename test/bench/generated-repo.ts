// A generated repository of many FlinkDeployment manifests for benchmarks: written to disk and
// committed in one go (one `git add`), so 10,000 files take seconds, not minutes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../helpers/git-repo.ts';

export function benchManifest(i: number, image: string): string {
  const name = `job-${String(i).padStart(5, '0')}`;
  return `apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: ${name}
  namespace: team-${String(i % 100).padStart(2, '0')}
spec:
  image: ${image}
  flinkVersion: v1_20
  flinkConfiguration:
    state.savepoints.dir: s3://flink/savepoints/${name}
    state.checkpoints.dir: s3://flink/checkpoints/${name}
  jobManager:
    resource: { memory: "2048m", cpu: 1 }
  taskManager:
    resource: { memory: "2048m", cpu: 1 }
  job:
    jarURI: local:///opt/flink/usrlib/${name}.jar
    parallelism: ${1 + (i % 8)}
    upgradeMode: savepoint
    state: running
`;
}

export function benchPath(i: number): string {
  return `teams/team-${String(i % 100).padStart(2, '0')}/job-${String(i).padStart(5, '0')}.yaml`;
}

/** Writes `count` manifests into the work tree at `dir` and commits them; returns the commit. */
export function writeGeneratedManifests(dir: string, count: number, image = 'flink:1.20.0'): string {
  for (let i = 0; i < count; i++) {
    const path = join(dir, benchPath(i));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, benchManifest(i, image));
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `${count} generated FlinkDeployments`]);
  return git(dir, ['rev-parse', 'HEAD']);
}

/** Changes the image of the given manifests and commits; returns the commit. */
export function bumpManifests(dir: string, indexes: number[], image: string): string {
  for (const i of indexes) writeFileSync(join(dir, benchPath(i)), benchManifest(i, image));
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `bump ${indexes.length} manifests to ${image}`]);
  return git(dir, ['rev-parse', 'HEAD']);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
