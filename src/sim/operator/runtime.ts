// The simulated Flink cluster behind one FlinkDeployment: JobManager, job, offset, checkpoints, HA
// ConfigMaps. This is the "truth" tests read; the operator logic only sees it the way the real
// operator sees a cluster (JM deployment status, job status via REST, HA data present or not).
import { randomBytes } from 'node:crypto';
import { checkpointsDir, savepointsDir } from '../../manifests/flink-config.ts';
import type { FlinkDeploymentSpec } from '../../manifests/types.ts';
import type { JobTruth } from '../types.ts';
import { RECORDS_PER_SECOND, SIM_DURATIONS } from './clock.ts';
import { optionalDuration } from './duration.ts';
import type { Faults } from './faults.ts';
import { conf, confInt, flatConfig, haEnabled, type SavepointFormat, upgradeModeOf } from './spec.ts';
import { checkpointPath, type SnapshotStorage, savepointPath } from './storage.ts';

export type JmState = 'MISSING' | 'DEPLOYING' | 'DEPLOYED_NOT_READY' | 'READY' | 'ERROR';
export type FlinkJobState = 'RECONCILING' | 'RUNNING' | 'FAILED' | 'FINISHED' | 'CANCELED';

export interface CheckpointRecord {
  id: number;
  path: string;
  offset: number;
  /** simulated time taken */
  at: number;
}

export interface JobRun {
  jobId: string;
  state: FlinkJobState;
  /** simulated time the job leaves RECONCILING (runs, or fails) */
  startsAt: number;
  /** simulated time it entered RUNNING; the offset grows from here */
  runningSince: number | null;
  baseOffset: number;
  /** set when the restore itself cannot work (missing snapshot): the job fails on start with it */
  restoreFailure: string | null;
  /** the job's exception once FAILED */
  failure: string | null;
  /** simulated time the operator first observed it FAILED (restart.failed waits one reconcile interval) */
  failedSeenAt?: number | null;
  /** wall-clock epoch ms, as the operator reports them */
  startTime: number;
  updateTime: number;
}

export type RestoreSource =
  | { kind: 'none' }
  | { kind: 'path'; path: string; mode: 'CLAIM' | 'NO_CLAIM' }
  | { kind: 'last-state' };

export interface StopPending {
  purpose: 'upgrade' | 'suspend' | 'delete';
  /** the spec that asked for the stop (used if the current one is invalid when it completes) */
  spec: FlinkDeploymentSpec;
  startedAt: number;
  /** simulated completion time; null while a `hang` fault holds it */
  dueAt: number | null;
}

export interface ManualPending {
  nonce: number;
  /** FlinkStateSnapshot name, or null in legacy (status fields) mode */
  snapshotName: string | null;
  triggerId: string;
  firstTriggeredAt: number;
  triggeredAtReal: number;
  dueAt: number | null;
  failures: number;
  /** after a failure: next attempt not before this simulated time */
  retryAt: number | null;
  /** kubernetes.operator.savepoint.format.type when it was triggered (absent in state saved before it was kept) */
  formatType?: SavepointFormat;
}

export interface ClusterRuntime {
  namespace: string;
  name: string;
  uid: string | null;
  session: boolean;
  jm: JmState;
  jmReadyAt: number | null;
  job: JobRun | null;
  /** the offset while no job runs (frozen at the last stop) */
  offset: number;
  restoredFrom: JobTruth['restoredFrom'];
  checkpoints: CheckpointRecord[];
  nextCheckpointId: number;
  nextCheckpointAt: number | null;
  checkpointInterval: number | null;
  numRetained: number;
  checkpointsDir: string | null;
  savepoints: { path: string; offset: number }[];
  /** HA ConfigMaps: the pointer to the job's latest checkpoint, kept across a last-state stop */
  ha: { jobId: string } | null;
  stop: StopPending | null;
  /** a failed stop is retried on a later pass, not before this (unless the fault annotation changed) */
  stopRetryAt: number | null;
  stopFailedWith: string | null;
  manual: ManualPending | null;
  /** simulated time of the last spec reconciliation (rollback readiness timer) */
  reconciledAt: number | null;
  /** scheduling, refreshed after every pass: when to look again unasked */
  wakeAt?: number | null;
  /** resourceVersion at which the deployment was last seen quiet (large resyncs skip it until it moves) */
  quietAtRv?: string | null;
  /** a job was ever submitted under this name (before that there is no job truth to report) */
  everSubmitted?: boolean;
}

export function newRuntime(namespace: string, name: string, uid: string | null): ClusterRuntime {
  return {
    namespace,
    name,
    uid,
    session: false,
    jm: 'MISSING',
    jmReadyAt: null,
    job: null,
    offset: 0,
    restoredFrom: { kind: 'none', path: null, offset: 0, mode: null },
    checkpoints: [],
    nextCheckpointId: 1,
    nextCheckpointAt: null,
    checkpointInterval: null,
    numRetained: 1,
    checkpointsDir: null,
    savepoints: [],
    ha: null,
    stop: null,
    stopRetryAt: null,
    stopFailedWith: null,
    manual: null,
    reconciledAt: null,
  };
}

export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

export function checkpointsDirOf(spec: FlinkDeploymentSpec): string | undefined {
  return checkpointsDir(flatConfig(spec));
}

export function savepointsDirOf(spec: FlinkDeploymentSpec): string | undefined {
  return savepointsDir(flatConfig(spec));
}

/** checkpointing interval; the operator defaults it to 5 min for last-state */
export function checkpointIntervalOf(spec: FlinkDeploymentSpec): number | null {
  const configured = optionalDuration(conf(spec, 'execution.checkpointing.interval'));
  if (configured !== undefined) return configured > 0 ? configured : null;
  return upgradeModeOf(spec) === 'last-state' ? 300_000 : null;
}

export function offsetAt(rt: ClusterRuntime, at: number): number {
  const job = rt.job;
  if (job?.state !== 'RUNNING' || job.runningSince === null) return rt.offset;
  return job.baseOffset + Math.floor((Math.max(0, at - job.runningSince) * RECORDS_PER_SECOND) / 1000);
}

export function isRunning(rt: ClusterRuntime): boolean {
  return rt.job?.state === 'RUNNING';
}

/** Bring the cluster up to simulated time `now`: JM readiness, job start, periodic checkpoints. */
export function advance(rt: ClusterRuntime, now: number, storage: SnapshotStorage, faults: Faults): void {
  if (rt.jm === 'DEPLOYING' && rt.jmReadyAt !== null && rt.jmReadyAt <= now) rt.jm = 'DEPLOYED_NOT_READY';
  if (
    rt.jm === 'DEPLOYED_NOT_READY' &&
    rt.jmReadyAt !== null &&
    rt.jmReadyAt + SIM_DURATIONS.jobManagerRestReady <= now
  ) {
    rt.jm = 'READY';
  }
  const job = rt.job;
  if (job && job.state === 'RECONCILING' && rt.jm === 'READY' && job.startsAt <= now) {
    job.updateTime = Date.now();
    if (job.restoreFailure || faults.startFails) {
      job.state = 'FAILED';
      job.failure =
        job.restoreFailure ??
        'Recovery is suppressed by NoRestartBackoffTimeStrategy (simulated fault sim.flinkops.io/start=fail)';
      rt.offset = job.baseOffset;
    } else {
      job.state = 'RUNNING';
      job.runningSince = job.startsAt;
      if (rt.checkpointInterval !== null) rt.nextCheckpointAt = job.startsAt + rt.checkpointInterval;
    }
  }
  takeDueCheckpoints(rt, now, storage);
}

function takeDueCheckpoints(rt: ClusterRuntime, now: number, storage: SnapshotStorage): void {
  const interval = rt.checkpointInterval;
  if (
    rt.job?.state !== 'RUNNING' ||
    interval === null ||
    rt.nextCheckpointAt === null ||
    !rt.checkpointsDir
  ) {
    return;
  }
  if (rt.nextCheckpointAt > now) return;
  // Only the newest num-retained checkpoints survive, so skip straight past the ones that would be subsumed.
  const due = Math.floor((now - rt.nextCheckpointAt) / interval) + 1;
  const skip = Math.max(0, due - rt.numRetained);
  rt.nextCheckpointAt += skip * interval;
  rt.nextCheckpointId += skip;
  for (let i = skip; i < due; i++) {
    addCheckpoint(rt, storage, rt.nextCheckpointAt);
    rt.nextCheckpointAt += interval;
  }
}

/** a completed checkpoint at simulated time `at`; Flink discards subsumed ones beyond num-retained */
function addCheckpoint(rt: ClusterRuntime, storage: SnapshotStorage, at: number): CheckpointRecord {
  const record: CheckpointRecord = {
    id: rt.nextCheckpointId,
    path: checkpointPath(rt.checkpointsDir ?? 'jobmanager://checkpoints', rt.job!.jobId, rt.nextCheckpointId),
    offset: offsetAt(rt, at),
    at,
  };
  storage.add({
    path: record.path,
    kind: 'checkpoint',
    namespace: rt.namespace,
    name: rt.name,
    offset: record.offset,
    createdAt: new Date().toISOString(),
  });
  rt.checkpoints.push(record);
  rt.nextCheckpointId += 1;
  while (rt.checkpoints.length > rt.numRetained) {
    const dropped = rt.checkpoints.shift()!;
    storage.remove(dropped.path);
  }
  return record;
}

/** a manually triggered checkpoint of the running job, now */
export function takeCheckpointNow(
  rt: ClusterRuntime,
  storage: SnapshotStorage,
  now: number,
): CheckpointRecord {
  return addCheckpoint(rt, storage, now);
}

export function latestCheckpoint(rt: ClusterRuntime): CheckpointRecord | undefined {
  return rt.checkpoints[rt.checkpoints.length - 1];
}

export interface DeployRequest {
  spec: FlinkDeploymentSpec;
  now: number;
  restore: RestoreSource;
  /** keep the job id (last-state restores the same job) */
  keepJobId: boolean;
}

/** Submit a fresh cluster (and job) for `spec`. Returns the jobId, or null for a session cluster. */
export function deployCluster(
  rt: ClusterRuntime,
  storage: SnapshotStorage,
  request: DeployRequest,
): string | null {
  const { spec, now, restore } = request;
  rt.session = spec.job == null;
  rt.jm = 'DEPLOYING';
  rt.jmReadyAt = now + SIM_DURATIONS.jobManagerDeploy;
  rt.checkpointsDir = checkpointsDirOf(spec) ?? null;
  rt.checkpointInterval = checkpointIntervalOf(spec);
  rt.numRetained = Math.max(
    1,
    confInt(spec, 'state.checkpoints.num-retained', confInt(spec, 'execution.checkpointing.num-retained', 1)),
  );
  rt.nextCheckpointAt = null;
  if (rt.session) {
    rt.job = null;
    rt.ha = haEnabled(spec) ? { jobId: '00000000000000000000000000000000' } : null;
    return null;
  }
  rt.everSubmitted = true;
  const previousJobId = rt.job?.jobId ?? rt.ha?.jobId;
  const jobId = request.keepJobId && previousJobId ? previousJobId : newJobId();
  let baseOffset = 0;
  let restoreFailure: string | null = null;
  if (restore.kind === 'path') {
    const found = storage.get(restore.path);
    if (found) {
      baseOffset = found.offset;
      rt.restoredFrom = { kind: found.kind, path: found.path, offset: found.offset, mode: restore.mode };
    } else {
      restoreFailure = `java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory '${restore.path}' on file system.`;
      rt.restoredFrom = { kind: 'savepoint', path: restore.path, offset: 0, mode: restore.mode };
    }
  } else if (restore.kind === 'last-state') {
    // HA-based recovery: the new JobManager resumes from the checkpoint store like a failover.
    const latest = latestCheckpoint(rt);
    baseOffset = latest?.offset ?? 0;
    rt.restoredFrom = latest
      ? { kind: 'checkpoint', path: latest.path, offset: latest.offset, mode: 'CLAIM' }
      : { kind: 'none', path: null, offset: 0, mode: null };
  } else {
    rt.restoredFrom = { kind: 'none', path: null, offset: 0, mode: null };
  }
  if (jobId !== previousJobId || restore.kind !== 'last-state') {
    // a new job has its own checkpoint list; files of the old one stay in storage
    if (restore.kind !== 'last-state') rt.checkpoints = [];
  }
  if (restore.kind === 'last-state') {
    const latest = latestCheckpoint(rt);
    rt.nextCheckpointId = latest ? latest.id + 1 : rt.nextCheckpointId;
  } else {
    rt.nextCheckpointId = 1;
  }
  rt.offset = baseOffset;
  const wall = Date.now();
  rt.job = {
    jobId,
    state: 'RECONCILING',
    startsAt: rt.jmReadyAt + SIM_DURATIONS.jobStart,
    runningSince: null,
    baseOffset,
    restoreFailure,
    failure: null,
    startTime: wall,
    updateTime: wall,
  };
  rt.ha = haEnabled(spec) ? { jobId } : null;
  return jobId;
}

/** Take a savepoint of the running job now; the file lands in storage. */
export function takeSavepoint(
  rt: ClusterRuntime,
  storage: SnapshotStorage,
  dir: string,
  now: number,
): { path: string; offset: number } {
  const job = rt.job!;
  const record = { path: savepointPath(dir, job.jobId), offset: offsetAt(rt, now) };
  storage.add({
    path: record.path,
    kind: 'savepoint',
    namespace: rt.namespace,
    name: rt.name,
    offset: record.offset,
    createdAt: new Date().toISOString(),
  });
  rt.savepoints.push(record);
  return record;
}

export type StopHow = 'savepoint' | 'last-state' | 'cancel' | 'stateless';

/**
 * Stop the job. Every operator-driven stop ends in FINISHED. A savepoint stop leaves the offset at the
 * savepoint's and (field observation) deletes the earlier checkpoints; last-state keeps the HA pointers and
 * the JM is deleted; a cancel (or stateless stop) drops the HA data but checkpoint files stay
 * (RETAIN_ON_CANCELLATION).
 */
export function stopJob(
  rt: ClusterRuntime,
  storage: SnapshotStorage,
  how: StopHow,
  now: number,
  native: boolean,
): void {
  const job = rt.job;
  if (job) {
    if (job.state === 'RUNNING') rt.offset = offsetAt(rt, now);
    job.state = 'FINISHED';
    job.runningSince = null;
    job.updateTime = Date.now();
  }
  rt.nextCheckpointAt = null;
  if (how === 'savepoint') {
    for (const checkpoint of rt.checkpoints) storage.remove(checkpoint.path);
    rt.checkpoints = [];
    rt.ha = null;
    // native mode keeps the JobManager pod until the next deploy
    rt.jm = native ? rt.jm : 'MISSING';
    if (!native) rt.jmReadyAt = null;
    return;
  }
  rt.jm = 'MISSING';
  rt.jmReadyAt = null;
  if (how !== 'last-state') rt.ha = null;
}

/** FlinkDeployment deleted: JM and HA ConfigMaps go, nothing points at the checkpoints any more. */
export function deleteCluster(rt: ClusterRuntime, now: number): void {
  if (rt.job?.state === 'RUNNING') rt.offset = offsetAt(rt, now);
  if (rt.job && rt.job.state !== 'FAILED') rt.job.state = 'CANCELED';
  rt.job = null;
  rt.jm = 'MISSING';
  rt.jmReadyAt = null;
  rt.ha = null;
  rt.checkpoints = [];
  rt.nextCheckpointAt = null;
  rt.stop = null;
  rt.manual = null;
}

export function truthOf(rt: ClusterRuntime, now: number): JobTruth {
  return {
    offset: offsetAt(rt, now),
    running: isRunning(rt),
    restoredFrom: { ...rt.restoredFrom },
    checkpoints: rt.checkpoints.map((c) => ({ path: c.path, offset: c.offset })),
    savepoints: rt.savepoints.map((s) => ({ ...s })),
  };
}
