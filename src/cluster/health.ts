// Deciding from a FlinkDeployment's status whether the operator has finished what was asked, and how
// healthy the deployment is. "Done" follows the operator's own rules (reference/flink-operator.md
// sections 2 and 7): the operator has caught up with the latest generation, the reconciliation is
// DEPLOYED, no status.error, and the lifecycle is STABLE or SUSPENDED. jobStatus alone is not enough:
// a job can show RUNNING while the operator has not even looked at the new spec yet.
import type { FlinkDeployment } from '../manifests/types.ts';

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing';

export interface Health {
  status: HealthStatus;
  message: string;
}

/** The operator's status.error, parsed. */
export interface OperatorError {
  /** the Java exception class when the operator wrote its usual JSON, else undefined */
  type?: string;
  /** the human message (the JSON's `message`, or the raw text when it is not JSON) */
  message: string;
  /** status.error exactly as stored */
  raw: string;
}

/** The dummy upgradeSavepointPath the operator (1.10+) writes after a last-state suspend: not a real path. */
export const LAST_STATE_DUMMY_PATH = 'KUBERNETES_OPERATOR_LAST_STATE';

/** Parses status.error (a JSON string `{"type","message",...}`); falls back to the raw text. */
export function operatorError(obj: FlinkDeployment | null | undefined): OperatorError | null {
  const raw = obj?.status?.error;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const message = typeof record.message === 'string' && record.message !== '' ? record.message : raw;
      const type = typeof record.type === 'string' ? record.type : undefined;
      return { type, message, raw };
    }
  } catch {
    // not JSON: the operator's fallback is plain text
  }
  return { message: raw, raw };
}

/** The operator has processed the newest spec generation (observedGeneration caught up). */
export function generationObserved(obj: FlinkDeployment | null | undefined): boolean {
  const generation = obj?.metadata?.generation;
  const observed = obj?.status?.observedGeneration;
  if (typeof generation !== 'number' || typeof observed !== 'number') return false;
  return observed >= generation;
}

/**
 * observedGeneration == generation, reconciliationStatus.state DEPLOYED and no status.error:
 * the operator applied the current spec and is not stuck on it.
 */
export function isReconciled(obj: FlinkDeployment | null | undefined): boolean {
  if (!obj?.status) return false;
  return (
    generationObserved(obj) &&
    obj.status.reconciliationStatus?.state === 'DEPLOYED' &&
    operatorError(obj) === null
  );
}

/**
 * lifecycleState as the operator derives it (CommonStatus#getLifecycleState). Uses status.lifecycleState
 * when present (it is written by operators >= 1.4), otherwise derives it from the other fields.
 */
export function lifecycleState(obj: FlinkDeployment | null | undefined): string | undefined {
  const status = obj?.status;
  if (!status) return undefined;
  if (typeof status.lifecycleState === 'string' && status.lifecycleState !== '') return status.lifecycleState;
  const reconciliation = status.reconciliationStatus;
  const lastSpec = lastReconciledSpec(obj);
  if (!lastSpec) return operatorError(obj) ? 'FAILED' : 'CREATED';
  if (reconciliation?.state === 'UPGRADING') return 'UPGRADING';
  if (reconciliation?.state === 'ROLLING_BACK') return 'ROLLING_BACK';
  if (lastSpec.job?.state === 'suspended') return 'SUSPENDED';
  if (status.jobStatus?.state === 'FAILED') return 'FAILED';
  const jm = status.jobManagerDeploymentStatus;
  const err = operatorError(obj)?.message ?? '';
  if (
    (jm === 'MISSING' || jm === 'ERROR') &&
    ['Manual restore required.', 'HA metadata is not available', 'configmaps have been deleted'].some((t) =>
      err.includes(t),
    )
  ) {
    return 'FAILED';
  }
  if (reconciliation?.state === 'ROLLED_BACK') return 'ROLLED_BACK';
  if (
    reconciliation?.lastStableSpec !== undefined &&
    reconciliation.lastStableSpec === reconciliation.lastReconciledSpec
  ) {
    return 'STABLE';
  }
  return 'DEPLOYED';
}

/** Reconciled, lifecycle STABLE and the job RUNNING: a create/resume/upgrade is done. */
export function isStable(obj: FlinkDeployment | null | undefined): boolean {
  return isReconciled(obj) && lifecycleState(obj) === 'STABLE' && obj?.status?.jobStatus?.state === 'RUNNING';
}

/** Reconciled and lifecycle SUSPENDED: a suspend (with or without savepoint) is done. */
export function isSuspended(obj: FlinkDeployment | null | undefined): boolean {
  return isReconciled(obj) && lifecycleState(obj) === 'SUSPENDED';
}

/** The operator finished whatever the current spec asks: stable if it says running, suspended if it says suspended. */
export function isSettled(obj: FlinkDeployment | null | undefined): boolean {
  if (!obj) return false;
  return obj.spec?.job?.state === 'suspended' ? isSuspended(obj) : isStable(obj);
}

/** jobStatus.upgradeSavepointPath (1.10+): where the last upgrade/suspend savepoint went; null when unknown or the last-state dummy. */
export function upgradeSavepointPath(obj: FlinkDeployment | null | undefined): string | null {
  const path = obj?.status?.jobStatus?.upgradeSavepointPath;
  if (typeof path !== 'string' || path === '' || path === LAST_STATE_DUMMY_PATH) return null;
  return path;
}

/** jobStatus.savepointInfo.lastSavepoint.location (legacy savepoint bookkeeping, still written without snapshot CRs). */
export function lastSavepointPath(obj: FlinkDeployment | null | undefined): string | null {
  const location = obj?.status?.jobStatus?.savepointInfo?.lastSavepoint?.location;
  return typeof location === 'string' && location !== '' ? location : null;
}

/** The spec the operator last acted on (status.reconciliationStatus.lastReconciledSpec, a JSON string). */
export function lastReconciledSpec(obj: FlinkDeployment | null | undefined): FlinkDeployment['spec'] | null {
  return lastReconciledRecord(obj)?.spec ?? null;
}

/** lastReconciledSpec as the operator writes it: {"spec": ..., "resource_metadata": {firstDeployment...}}. */
export interface ReconciledRecord {
  spec: FlinkDeployment['spec'];
  resource_metadata?: { apiVersion?: string; firstDeployment?: boolean };
}

/** The whole record of what the operator last acted on, null when there is none (never deployed). */
export function lastReconciledRecord(obj: FlinkDeployment | null | undefined): ReconciledRecord | null {
  const text = obj?.status?.reconciliationStatus?.lastReconciledSpec;
  if (typeof text !== 'string' || text === '') return null;
  try {
    const parsed = JSON.parse(text) as Partial<ReconciledRecord> | null;
    return parsed && typeof parsed === 'object' && parsed.spec && typeof parsed.spec === 'object'
      ? (parsed as ReconciledRecord)
      : null;
  } catch {
    return null;
  }
}

/** One line for logs and job progress: what the operator reports right now. */
export function describeStatus(obj: FlinkDeployment | null | undefined): string {
  if (!obj) return 'object absent';
  const s = obj.status;
  if (!s) return `generation ${obj.metadata?.generation ?? '?'}, no status yet`;
  const parts = [
    `lifecycle ${lifecycleState(obj) ?? '?'}`,
    `job ${s.jobStatus?.state ?? '?'}`,
    `reconciliation ${s.reconciliationStatus?.state ?? '?'}`,
    `generation ${s.observedGeneration ?? '?'}/${obj.metadata?.generation ?? '?'}`,
  ];
  const err = operatorError(obj);
  if (err) parts.push(`error: ${err.message}`);
  if (obj.metadata?.deletionTimestamp) parts.push('deleting');
  return parts.join(', ');
}

interface HealthRule {
  when: (obj: FlinkDeployment) => boolean;
  health: (obj: FlinkDeployment, err: string) => Health;
}

const jobState = (obj: FlinkDeployment) => obj.status?.jobStatus?.state;
const reconciliationState = (obj: FlinkDeployment) => obj.status?.reconciliationStatus?.state;
const withError = (base: string, err: string) => (err ? `${base}: ${err}` : base);

// Ordered: the first rule that matches decides. Operator-level gates (generation, reconciliation) come
// before the lifecycle, which comes before job and JobManager signals, so a RUNNING job never counts
// as healthy while the operator still has work to do.
const HEALTH_RULES: HealthRule[] = [
  {
    when: (o) =>
      typeof o.status?.observedGeneration !== 'number' || typeof o.metadata?.generation !== 'number',
    health: () => ({ status: 'Progressing', message: 'Waiting for Flink operator to report generation' }),
  },
  {
    when: (o) => !generationObserved(o),
    health: (o) => ({
      status: 'Progressing',
      message: `Waiting for operator to reconcile generation ${o.metadata.generation}`,
    }),
  },
  {
    when: (o) => reconciliationState(o) === 'UPGRADING' || o.status?.lifecycleState === 'UPGRADING',
    health: () => ({ status: 'Progressing', message: 'Upgrading deployment' }),
  },
  {
    when: (o) => reconciliationState(o) === 'ROLLING_BACK' || o.status?.lifecycleState === 'ROLLING_BACK',
    health: () => ({ status: 'Progressing', message: 'Rolling back to last stable spec' }),
  },
  {
    when: (o) => reconciliationState(o) === 'ROLLED_BACK' || o.status?.lifecycleState === 'ROLLED_BACK',
    health: (_o, err) => ({
      status: 'Degraded',
      message: err ? `Rolled back: ${err}` : 'Deployment rolled back',
    }),
  },
  {
    when: (o) => o.status?.lifecycleState === 'STABLE' && jobState(o) === 'RESTARTING',
    health: () => ({
      status: 'Degraded',
      message: 'Job crash-looping (RESTARTING) despite stable deployment',
    }),
  },
  {
    when: (o) => o.status?.lifecycleState === 'STABLE',
    health: () => ({ status: 'Healthy', message: 'Deployment stable' }),
  },
  {
    when: (o) => o.status?.lifecycleState === 'FAILED',
    health: (_o, err) => ({ status: 'Degraded', message: err || 'Deployment failed' }),
  },
  {
    when: (o) => o.status?.lifecycleState === 'SUSPENDED',
    health: () => ({ status: 'Suspended', message: 'Deployment suspended' }),
  },
  {
    when: (o) => o.status?.lifecycleState === 'DEPLOYED',
    health: () => ({ status: 'Progressing', message: 'Deployed, waiting for stability validation' }),
  },
  {
    when: (o) => jobState(o) === 'FINISHED',
    health: () => ({ status: 'Healthy', message: 'Batch job finished' }),
  },
  {
    when: (o) => jobState(o) === 'SUSPENDED',
    health: () => ({ status: 'Suspended', message: 'Job suspended' }),
  },
  {
    when: (o) => jobState(o) === 'CANCELLING' || jobState(o) === 'CANCELED',
    health: (o) => ({ status: 'Suspended', message: `Job ${jobState(o)}` }),
  },
  {
    when: (o) => jobState(o) === 'RESTARTING',
    health: () => ({ status: 'Progressing', message: 'Job restarting' }),
  },
  {
    when: (o) => jobState(o) === 'FAILED',
    health: (_o, err) => ({
      status: 'Progressing',
      message: withError('Job failed, operator recovering', err),
    }),
  },
  {
    when: (o) => jobState(o) === 'FAILING',
    health: () => ({ status: 'Progressing', message: 'Job failing, waiting for operator action' }),
  },
  {
    when: (o) => o.status?.jobManagerDeploymentStatus === 'ERROR',
    health: (_o, err) => ({
      status: 'Progressing',
      message: withError('JobManager error, operator recovering', err),
    }),
  },
  {
    when: (o) => o.status?.jobManagerDeploymentStatus === 'DEPLOYING',
    health: () => ({ status: 'Progressing', message: 'JobManager deploying' }),
  },
  {
    when: (o) => o.status?.jobManagerDeploymentStatus === 'MISSING',
    health: () => ({ status: 'Progressing', message: 'JobManager missing, waiting for recovery' }),
  },
];

/** Argo-CD-style health of a FlinkDeployment (null = the object does not exist). */
export function assessHealth(obj: FlinkDeployment | null | undefined): Health {
  if (!obj) return { status: 'Missing', message: 'FlinkDeployment not found' };
  if (!obj.status) return { status: 'Progressing', message: 'Waiting for Flink operator' };
  const err = operatorError(obj)?.message ?? '';
  for (const rule of HEALTH_RULES) {
    if (rule.when(obj)) return rule.health(obj, err);
  }
  return { status: 'Progressing', message: 'Waiting for Flink operator' };
}
