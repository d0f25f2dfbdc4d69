// Contracts inside the embedded cluster: the HTTP API (src/sim/api) serves what the operator
// simulator (src/sim/operator) knows about the true state of each simulated Flink job.

export type SnapshotKind = 'savepoint' | 'checkpoint';

export interface StoredSnapshot {
  path: string;
  kind: SnapshotKind;
  namespace: string;
  name: string;
  /** records processed when the snapshot was taken */
  offset: number;
  /** ISO-8601 */
  createdAt: string;
}

/** GET /sim/v1/namespaces/<ns>/jobs/<name> (design.md contract, fields may be added, never renamed) */
export interface JobTruth {
  offset: number;
  running: boolean;
  restoredFrom: {
    kind: 'savepoint' | 'checkpoint' | 'none';
    path: string | null;
    offset: number;
    mode: 'CLAIM' | 'NO_CLAIM' | null;
  };
  checkpoints: { path: string; offset: number }[];
  savepoints: { path: string; offset: number }[];
}

export interface SimTruth {
  /** undefined when no job of that name was ever simulated */
  getJob(namespace: string, name: string): JobTruth | undefined;
  /** every snapshot in simulated remote storage, including those of deleted deployments */
  listStorage(): StoredSnapshot[];
}

/** API-level faults for resilience tests, settable at runtime through POST /sim/v1/faults. */
export interface ApiFaults {
  /** 0..1: share of requests answered 500 */
  errorRate?: number;
  /** 0..1: share of writes answered 409 Conflict */
  conflictRate?: number;
  /** 0..1: share of watch streams cut after their first event */
  dropWatchRate?: number;
  /** added latency per request in ms */
  latencyMs?: number;
}

export interface EmbeddedClusterOptions {
  host?: string;
  /** 0 = any free port */
  port?: number;
  /** simulated-time multiplier: 1 = human pace (demo), 50+ for tests */
  speed?: number;
  /** persist objects and storage across restarts */
  statePath?: string;
  /** also write the kubeconfig to this file */
  kubeconfigOut?: string;
}
