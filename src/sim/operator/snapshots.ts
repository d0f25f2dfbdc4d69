// FlinkStateSnapshot resources the operator creates: UPGRADE ones (already existing savepoints taken by a
// stop-with-savepoint) and MANUAL ones (savepointTriggerNonce). Named
// <deployment>-savepoint-<manual|upgrade>-<epochMillis>, no owner reference: they outlive the deployment.
import { type KubeObject, type ObjectStore, StoreError } from '../store.ts';

export type SnapshotState = 'TRIGGER_PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'ABANDONED';

interface SnapshotStatus {
  state: SnapshotState;
  triggerId?: string;
  triggerTimestamp?: string;
  resultTimestamp?: string;
  path?: string;
  error?: string;
  failures: number;
}

export function snapshotLabels(deployment: string, trigger: 'MANUAL' | 'UPGRADE', state: SnapshotState) {
  return {
    'snapshot.trigger-type': trigger,
    'snapshot.type': 'SAVEPOINT',
    'snapshot.state': state,
    'job-reference.kind': 'FlinkDeployment',
    'job-reference.name': deployment,
  };
}

function uniqueName(store: ObjectStore, namespace: string, base: string): string {
  let millis = Date.now();
  while (store.get('flinkstatesnapshots', namespace, `${base}-${millis}`)) millis += 1;
  return `${base}-${millis}`;
}

function create(
  store: ObjectStore,
  deployment: KubeObject,
  trigger: 'MANUAL' | 'UPGRADE',
  savepoint: Record<string, unknown>,
  status: SnapshotStatus,
  backoffLimit: number,
): string {
  const namespace = deployment.metadata.namespace ?? 'default';
  const name = uniqueName(store, namespace, `${deployment.metadata.name}-savepoint-${trigger.toLowerCase()}`);
  store.create('flinkstatesnapshots', {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkStateSnapshot',
    metadata: { name, namespace, labels: snapshotLabels(deployment.metadata.name, trigger, status.state) },
    spec: {
      backoffLimit,
      jobReference: { kind: 'FlinkDeployment', name: deployment.metadata.name },
      savepoint: savepoint,
    },
    status,
  });
  return name;
}

/** the savepoint a stop-with-savepoint took, recorded as a COMPLETED UPGRADE snapshot (alreadyExists) */
export function recordUpgradeSnapshot(
  store: ObjectStore,
  deployment: KubeObject,
  path: string,
  formatType: string,
): string {
  const now = new Date().toISOString();
  return create(
    store,
    deployment,
    'UPGRADE',
    { path, formatType, disposeOnDelete: false, alreadyExists: true },
    { state: 'COMPLETED', path, triggerTimestamp: now, resultTimestamp: now, failures: 0, triggerId: '' },
    0,
  );
}

export function createManualSnapshot(
  store: ObjectStore,
  deployment: KubeObject,
  savepointsDir: string,
  formatType: string,
): string {
  return create(
    store,
    deployment,
    'MANUAL',
    { path: savepointsDir, formatType, disposeOnDelete: false, alreadyExists: false },
    { state: 'TRIGGER_PENDING', failures: 0 },
    0,
  );
}

/** move a snapshot CR on: status through the status subresource, the snapshot.state label on metadata */
export function updateSnapshot(
  store: ObjectStore,
  namespace: string,
  name: string,
  edit: (status: SnapshotStatus) => void,
): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = store.get('flinkstatesnapshots', namespace, name);
    if (!current) return;
    const status = structuredClone(
      (current.status ?? { state: 'TRIGGER_PENDING', failures: 0 }) as SnapshotStatus,
    );
    edit(status);
    try {
      const written = store.replace('flinkstatesnapshots', { ...current, status }, { subresource: 'status' });
      const labels = { ...(written.metadata.labels ?? {}), 'snapshot.state': status.state };
      store.replace('flinkstatesnapshots', { ...written, metadata: { ...written.metadata, labels } });
      return;
    } catch (error) {
      if (!(error instanceof StoreError) || error.kind !== 'Conflict') throw error;
    }
  }
}
