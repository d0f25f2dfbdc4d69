// The contract between workers and the cluster. The implementation (src/cluster/client.ts) is built on
// @kubernetes/client-node and must work unchanged against a real API server or the embedded one.
import type { FlinkDeployment } from '../manifests/types.ts';

export type ClusterErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'AlreadyExists'
  | 'Invalid'
  | 'Timeout'
  | 'Unavailable'
  /** 401/403: credentials or RBAC; retrying will not help */
  | 'Forbidden';

/** One field-level reason from a 422 Invalid Status (details.causes), e.g. field 'spec.job.parallelism'. */
export interface ClusterErrorCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** A typed failure from the cluster, carrying the API server's own message and the namespace/name it was about. */
export class ClusterError extends Error {
  constructor(
    readonly kind: ClusterErrorKind,
    message: string,
    readonly details: {
      namespace?: string;
      name?: string;
      status?: number;
      reason?: string;
      cause?: unknown;
      /** field paths and messages the API server gave for an Invalid object */
      causes?: ClusterErrorCause[];
    } = {},
  ) {
    super(message);
    this.name = `Cluster${kind}Error`;
  }
  /** Whether retrying the same call later may succeed (network, 5xx, conflicts, timeouts of the API itself). */
  get transient(): boolean {
    return this.kind === 'Unavailable' || this.kind === 'Conflict';
  }
}

export interface FlinkStateSnapshot {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  spec: {
    jobReference?: { kind?: string; name?: string };
    savepoint?: {
      path?: string | null;
      formatType?: string;
      disposeOnDelete?: boolean;
      alreadyExists?: boolean;
    } | null;
    checkpoint?: Record<string, unknown> | null;
    backoffLimit?: number;
    [k: string]: unknown;
  };
  status?: {
    state?: 'TRIGGER_PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'ABANDONED';
    path?: string | null;
    error?: string | null;
    triggerId?: string;
    triggerTimestamp?: string;
    resultTimestamp?: string;
    failures?: number;
    [k: string]: unknown;
  };
}

export interface WaitOptions {
  timeoutMs: number;
  /** what is awaited, in words ("lifecycle STABLE, job RUNNING"), for progress and the timeout message */
  waitingFor?: string;
  /** called with a short human text each time the observed object changes (for job progress/logs) */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * A predicate for waitFor: return true when done; return a string to fail at once with that text
 * (e.g. the operator's status.error); return false to keep waiting. `null` means the object is gone.
 */
export type WaitPredicate = (obj: FlinkDeployment | null) => boolean | string;

export interface ClusterClient {
  get(namespace: string, name: string): Promise<FlinkDeployment | null>;
  create(obj: FlinkDeployment): Promise<FlinkDeployment>;
  /**
   * Merge-patches the object. `build` receives the current object and returns the merge patch
   * (or null when nothing needs changing). The patch carries metadata.resourceVersion as a
   * precondition; on 409 the object is re-read and `build` is called again (bounded).
   */
  patch(
    namespace: string,
    name: string,
    build: (current: FlinkDeployment) => Record<string, unknown> | null,
  ): Promise<FlinkDeployment>;
  /** Deletes; resolves when the API accepted it (the object may still be finalizing). NotFound is not an error. */
  delete(namespace: string, name: string): Promise<void>;
  listSnapshots(namespace: string, deploymentName: string): Promise<FlinkStateSnapshot[]>;
  /** Watches the object until `predicate` says done; survives dropped watches and 410 Gone. */
  waitFor(
    namespace: string,
    name: string,
    predicate: WaitPredicate,
    options: WaitOptions,
  ): Promise<FlinkDeployment | null>;
  /** Cheap reachability probe for /readyz. */
  ping(): Promise<void>;
}
