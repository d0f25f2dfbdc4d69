// Writing status the way the operator's StatusRecorder does: only through the status subresource,
// re-reading and retrying when the object moved on underneath (409 Conflict).
import type { FlinkDeploymentStatus } from '../../manifests/types.ts';
import { type KubeObject, type ObjectStore, StoreError } from '../store.ts';
import { deriveLifecycleState } from './lifecycle.ts';

const EXCEPTION_PACKAGE = 'org.apache.flink.kubernetes.operator.exception';

export const ErrorTypes = {
  validation: `${EXCEPTION_PACKAGE}.ValidationException`,
  upgradeFailure: `${EXCEPTION_PACKAGE}.UpgradeFailureException`,
  recovery: `${EXCEPTION_PACKAGE}.RecoveryFailureException`,
  deploymentFailed: `${EXCEPTION_PACKAGE}.DeploymentFailedException`,
  jobException: 'org.apache.flink.runtime.JobException',
} as const;

/** status.error as the operator serialises a FlinkResourceException */
export function errorJson(type: string, message: string): string {
  return JSON.stringify({
    type,
    message,
    additionalMetadata: {},
    throwableList: [],
  });
}

export function initialStatus(): FlinkDeploymentStatus {
  return {
    jobStatus: {
      savepointInfo: { lastSavepoint: null, savepointHistory: [], lastPeriodicSavepointTimestamp: 0 },
      checkpointInfo: { lastCheckpoint: null, lastPeriodicCheckpointTimestamp: 0 },
    },
    error: null,
    lifecycleState: 'CREATED',
    clusterInfo: {},
    jobManagerDeploymentStatus: 'MISSING',
    reconciliationStatus: { state: 'UPGRADING', reconciliationTimestamp: 0 },
    taskManager: { labelSelector: '', replicas: 0 },
    conditions: [],
  };
}

/** lifecycleState and the Running condition follow from the rest of the status */
export function decorate(
  status: FlinkDeploymentStatus,
  generation: number | undefined,
  session: boolean,
  deletion?: 'DELETING' | 'DELETED',
): void {
  status.lifecycleState = deriveLifecycleState(status, deletion);
  const running = session
    ? status.jobManagerDeploymentStatus === 'READY'
    : status.jobStatus?.state === 'RUNNING';
  const previous = (status.conditions ?? []).find(
    (condition): condition is Record<string, unknown> =>
      typeof condition === 'object' &&
      condition !== null &&
      (condition as { type?: string }).type === 'Running',
  );
  const value = running ? 'True' : 'False';
  const reason = session
    ? running
      ? 'ClusterReady'
      : 'ClusterNotReady'
    : running
      ? 'JobRunning'
      : `Job${capitalise(status.jobStatus?.state ?? 'NotRunning')}`;
  const message = session
    ? `JobManager deployment is ${status.jobManagerDeploymentStatus ?? 'MISSING'}`
    : `Job status ${status.jobStatus?.state ?? 'unknown'}`;
  status.conditions = [
    {
      type: 'Running',
      status: value,
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime:
        previous && previous.status === value ? previous.lastTransitionTime : new Date().toISOString(),
    },
  ];
}

function capitalise(state: string): string {
  return state.charAt(0).toUpperCase() + state.slice(1).toLowerCase();
}

/**
 * Write `status` onto the stored object. Returns the stored object after the write, or undefined when
 * the object is gone. Status-only writes never conflict with spec edits in substance, so on 409 we
 * re-read and apply the same status to the newer version.
 */
export function writeStatus(
  store: ObjectStore,
  object: KubeObject,
  status: FlinkDeploymentStatus,
): KubeObject | undefined {
  return replaceOnLatest(store, object, 'status', (current) => ({
    ...current,
    status: withoutNulls(structuredClone(status)),
  }));
}

/** Same retry discipline for metadata edits (finalizers). */
export function writeMetadata(
  store: ObjectStore,
  object: KubeObject,
  edit: (metadata: KubeObject['metadata']) => void,
): KubeObject | undefined {
  return replaceOnLatest(store, object, 'metadata', (current) => {
    const next = structuredClone(current);
    edit(next.metadata);
    return next;
  });
}

/**
 * Writes `build(current)`; on 409 re-reads and builds again from the newer object (5 attempts).
 * Undefined when the object is gone.
 */
function replaceOnLatest(
  store: ObjectStore,
  object: KubeObject,
  part: 'status' | 'metadata',
  build: (current: KubeObject) => KubeObject,
): KubeObject | undefined {
  let current: KubeObject = object;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return store.replace(
        'flinkdeployments',
        build(current),
        part === 'status' ? { subresource: 'status' } : {},
      );
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      if (error.kind === 'NotFound') return undefined;
      if (error.kind !== 'Conflict') throw error;
      const fresh = store.get(
        'flinkdeployments',
        current.metadata.namespace ?? 'default',
        current.metadata.name,
      );
      if (!fresh) return undefined;
      current = fresh;
    }
  }
  throw new Error(
    `could not update ${part} of ${object.metadata.namespace}/${object.metadata.name}: still conflicting after 5 attempts`,
  );
}

/**
 * The operator serialises status without null fields (Jackson NON_NULL), and the CRD schema has no
 * nullable fields: a null in status would make every later write of the object fail validation.
 */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutNulls(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = withoutNulls(v);
    return out as T;
  }
  return value;
}
