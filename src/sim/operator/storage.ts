// Simulated remote storage (S3/HDFS): checkpoint and savepoint "files" that outlive deployments.
// Only Flink itself deletes from it (subsumed checkpoints, checkpoints dropped after a savepoint-mode
// suspend); deleting a FlinkDeployment leaves its files here.
import { randomBytes } from 'node:crypto';
import type { SnapshotKind, StoredSnapshot } from '../types.ts';

export class SnapshotStorage {
  private readonly files = new Map<string, StoredSnapshot>();

  add(entry: StoredSnapshot): StoredSnapshot {
    this.files.set(normalise(entry.path), { ...entry });
    return { ...entry };
  }

  get(path: string | null | undefined): StoredSnapshot | undefined {
    if (!path) return undefined;
    const found = this.files.get(normalise(path));
    return found ? { ...found } : undefined;
  }

  remove(path: string): void {
    this.files.delete(normalise(path));
  }

  list(): StoredSnapshot[] {
    return [...this.files.values()]
      .map((entry) => ({ ...entry }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.path.localeCompare(b.path));
  }

  restore(entries: StoredSnapshot[]): void {
    this.files.clear();
    for (const entry of entries) this.add(entry);
  }
}

export function checkpointPath(checkpointsDir: string, jobId: string, id: number): string {
  return `${trimSlash(checkpointsDir)}/${jobId}/chk-${id}`;
}

/** Flink names savepoint directories savepoint-<first 6 of job id>-<12 random hex> */
export function savepointPath(savepointsDir: string, jobId: string): string {
  return `${trimSlash(savepointsDir)}/savepoint-${jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`;
}

export function storedKind(path: string): SnapshotKind {
  return /\/chk-\d+\/?$/.test(path) ? 'checkpoint' : 'savepoint';
}

function trimSlash(dir: string): string {
  return dir.replace(/\/+$/, '');
}

/** a trailing slash or a `_metadata` suffix names the same snapshot */
function normalise(path: string): string {
  return path.replace(/\/_metadata$/, '').replace(/\/+$/, '');
}
