// What one reconcile pass over one FlinkDeployment works with, and the few writes every stage needs.
import type { FlinkDeployment, FlinkDeploymentSpec, FlinkDeploymentStatus } from '../../manifests/types.ts';
import type { KubeObject, ObjectStore } from '../store.ts';
import type { SimClock } from './clock.ts';
import type { EventRecorder, EventType } from './events.ts';
import type { Faults } from './faults.ts';
import type { ClusterRuntime } from './runtime.ts';
import { isSession, type ReconciledSpec, readReconciled, writeReconciled } from './spec.ts';
import { decorate, writeStatus } from './status.ts';
import type { SnapshotStorage } from './storage.ts';

export const FINALIZER = 'flinkdeployments.flink.apache.org/finalizer';

/**
 * A FlinkDeployment as stored: `spec` is whatever the client sent, possibly nothing at all (`kubectl apply`
 * of just apiVersion/kind/metadata passes the CRD schema). Read it through specOf().
 */
export type StoredDeployment = KubeObject & Omit<FlinkDeployment, 'spec'>;

/**
 * The spec the operator works with: a missing (or non-object) spec is an empty one, as the operator's
 * FlinkDeployment#initSpec() makes it, so the validator reports it ("Flink Version must be defined.")
 * instead of a pass failing on it.
 */
export function specOf(fd: { spec?: unknown }): FlinkDeploymentSpec {
  const spec = fd.spec;
  return spec !== null && typeof spec === 'object' && !Array.isArray(spec)
    ? (spec as FlinkDeploymentSpec)
    : {};
}

export interface PassContext {
  store: ObjectStore;
  storage: SnapshotStorage;
  events: EventRecorder;
  clock: SimClock;
  /** simulated now, fixed for the pass */
  now: number;
  fd: StoredDeployment;
  /** working copy, written by flush() */
  status: FlinkDeploymentStatus;
  rt: ClusterRuntime;
  faults: Faults;
  /** the spec failed validation this pass: keep status.error, do not advance observedGeneration */
  invalid: boolean;
  /** the object disappeared while we worked */
  gone: boolean;
}

export function flush(ctx: PassContext, deletion?: 'DELETING' | 'DELETED'): void {
  if (ctx.gone) return;
  decorate(ctx.status, ctx.fd.metadata.generation, isSession(specOf(ctx.fd)), deletion);
  const written = writeStatus(ctx.store, ctx.fd, ctx.status);
  if (!written) {
    ctx.gone = true;
    return;
  }
  ctx.fd = written as StoredDeployment;
}

export function emit(ctx: PassContext, type: EventType, reason: string, message: string): void {
  ctx.events.record(ctx.fd, type, reason, message);
}

export function reconciled(ctx: PassContext): ReconciledSpec | undefined {
  return readReconciled(ctx.status.reconciliationStatus?.lastReconciledSpec);
}

export function jobStatus(ctx: PassContext): NonNullable<FlinkDeploymentStatus['jobStatus']> {
  ctx.status.jobStatus ??= {};
  return ctx.status.jobStatus;
}

export function reconciliation(ctx: PassContext): NonNullable<FlinkDeploymentStatus['reconciliationStatus']> {
  ctx.status.reconciliationStatus ??= { state: 'UPGRADING' };
  return ctx.status.reconciliationStatus;
}

/** a copy of `spec` with job.state / job.upgradeMode overridden (what lastReconciledSpec records) */
export function withJob(
  spec: FlinkDeploymentSpec,
  job: { state?: 'running' | 'suspended'; upgradeMode?: string },
): FlinkDeploymentSpec {
  const copy = structuredClone(spec);
  if (copy.job == null) return copy;
  if (job.state) copy.job.state = job.state;
  if (job.upgradeMode) (copy.job as Record<string, unknown>).upgradeMode = job.upgradeMode;
  return copy;
}

/**
 * Record `spec` as reconciled (the write-ahead log): lastReconciledSpec, state, timestamp and, because
 * lastReconciledSpec is written, observedGeneration.
 */
export function recordSpec(
  ctx: PassContext,
  spec: FlinkDeploymentSpec,
  options: {
    state: 'UPGRADING' | 'DEPLOYED' | 'ROLLING_BACK' | 'ROLLED_BACK';
    firstDeployment: boolean;
    stable?: boolean;
  },
): void {
  const rec = reconciliation(ctx);
  rec.lastReconciledSpec = writeReconciled(spec, options.firstDeployment);
  rec.state = options.state;
  rec.reconciliationTimestamp = Date.now();
  if (options.stable) rec.lastStableSpec = rec.lastReconciledSpec;
  if (!ctx.invalid) ctx.status.observedGeneration = ctx.fd.metadata.generation;
  ctx.rt.reconciledAt = ctx.now;
}

export function savepointInfoOf(
  ctx: PassContext,
): NonNullable<NonNullable<FlinkDeploymentStatus['jobStatus']>['savepointInfo']> {
  const js = jobStatus(ctx);
  js.savepointInfo ??= {};
  return js.savepointInfo;
}
