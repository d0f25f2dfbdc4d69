// Shared by the sim-operator-*.test.ts files: an ObjectStore with the simulator running at test speed,
// FlinkDeployment builders, and bounded waits. Objects are driven the way a client would: create/replace.
import type { FlinkDeployment, FlinkDeploymentSpec } from '../../src/manifests/types.ts';
import { OperatorSimulator } from '../../src/sim/operator/index.ts';
import { readReconciled } from '../../src/sim/operator/spec.ts';
import { type KubeObject, ObjectStore, StoreError } from '../../src/sim/store.ts';

export const NS = 'flink';

export const DIRS = {
  'state.savepoints.dir': 's3://bucket/savepoints',
  'state.checkpoints.dir': 's3://bucket/checkpoints',
  'execution.checkpointing.interval': '2s',
};
export const HA = {
  'high-availability.type': 'kubernetes',
  'high-availability.storageDir': 's3://bucket/ha',
};

export interface SimHarness {
  store: ObjectStore;
  sim: OperatorSimulator;
  close(): Promise<void>;
}

export function startSim(speed = 200): SimHarness {
  const store = new ObjectStore();
  const sim = new OperatorSimulator({ store, speed });
  sim.start();
  return { store, sim, close: () => sim.stop() };
}

export interface DeploymentOptions {
  upgradeMode?: 'stateless' | 'savepoint' | 'last-state';
  state?: 'running' | 'suspended';
  config?: Record<string, string>;
  annotations?: Record<string, string>;
  job?: Record<string, unknown>;
  session?: boolean;
}

export function deployment(name: string, options: DeploymentOptions = {}): KubeObject {
  const spec: FlinkDeploymentSpec = {
    image: 'flink:1.20',
    flinkVersion: 'v1_20',
    serviceAccount: 'flink',
    flinkConfiguration: { ...DIRS, ...(options.config ?? {}) },
    jobManager: { resource: { memory: '1024m', cpu: 1 } },
    taskManager: { resource: { memory: '1024m', cpu: 1 } },
  };
  if (!options.session) {
    spec.job = {
      jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar',
      parallelism: 2,
      upgradeMode: options.upgradeMode ?? 'savepoint',
      state: options.state ?? 'running',
      ...(options.job ?? {}),
    };
  }
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace: NS, ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec,
  };
}

export function get(h: SimHarness, name: string): FlinkDeployment | undefined {
  return h.store.get('flinkdeployments', NS, name) as FlinkDeployment | undefined;
}

export function must(h: SimHarness, name: string): FlinkDeployment {
  const found = get(h, name);
  if (!found) throw new Error(`${NS}/${name} not found`);
  return found;
}

/** re-read, edit, replace: retried on 409 like a client would */
export function update(h: SimHarness, name: string, edit: (fd: FlinkDeployment) => void): FlinkDeployment {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = must(h, name);
    edit(current);
    try {
      return h.store.replace(
        'flinkdeployments',
        current as unknown as KubeObject,
      ) as unknown as FlinkDeployment;
    } catch (error) {
      if (!(error instanceof StoreError) || error.kind !== 'Conflict') throw error;
    }
  }
  throw new Error(`could not update ${NS}/${name}: conflicts`);
}

export function create(h: SimHarness, object: KubeObject): void {
  h.store.create('flinkdeployments', object);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** poll until `probe` returns something truthy; bounded in time and count */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) break;
    await sleep(5);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function lifecycle(h: SimHarness, name: string): string | undefined {
  return get(h, name)?.status?.lifecycleState;
}

/** the done-ness the reference describes: observedGeneration caught up, DEPLOYED, no error, STABLE|SUSPENDED */
export function settled(h: SimHarness, name: string, lifecycleState: 'STABLE' | 'SUSPENDED'): boolean {
  const fd = get(h, name);
  const status = fd?.status;
  if (!fd || !status) return false;
  return (
    status.observedGeneration === fd.metadata.generation &&
    status.reconciliationStatus?.state === 'DEPLOYED' &&
    !status.error &&
    status.lifecycleState === lifecycleState &&
    (lifecycleState !== 'STABLE' || fd.spec.job == null || status.jobStatus?.state === 'RUNNING')
  );
}

export async function waitSettled(
  h: SimHarness,
  name: string,
  state: 'STABLE' | 'SUSPENDED',
  timeoutMs = 15_000,
): Promise<FlinkDeployment> {
  await waitFor(`${name} ${state}`, () => settled(h, name, state), timeoutMs);
  return must(h, name);
}

/** wait until the job has processed at least `records` and holds at least one checkpoint */
export async function waitProgress(h: SimHarness, name: string, records = 500, checkpoints = 1) {
  return waitFor(`${name} offset >= ${records} with ${checkpoints} checkpoint(s)`, () => {
    const truth = h.sim.getJob(NS, name);
    return truth?.running && truth.offset >= records && truth.checkpoints.length >= checkpoints
      ? truth
      : undefined;
  });
}

export function lastReconciled(fd: FlinkDeployment) {
  const parsed = readReconciled(fd.status?.reconciliationStatus?.lastReconciledSpec);
  if (!parsed) throw new Error(`${fd.metadata.name} has no lastReconciledSpec`);
  return parsed;
}

export function eventReasons(h: SimHarness, name: string): string[] {
  return h.store
    .list('events', NS)
    .filter((event) => (event.involvedObject as { name?: string }).name === name)
    .map((event) => String(event.reason));
}

export function errorOf(fd: FlinkDeployment | undefined): { type: string; message: string } | undefined {
  const text = fd?.status?.error;
  return text ? (JSON.parse(text) as { type: string; message: string }) : undefined;
}

/** every lifecycleState the object went through, in order, from the store's change events */
export function recordLifecycles(h: SimHarness, name: string): string[] {
  const seen: string[] = [];
  h.store.on('change', (event) => {
    if (event.resource !== 'flinkdeployments' || event.object.metadata.name !== name) return;
    const state = (event.object.status as { lifecycleState?: string } | undefined)?.lifecycleState;
    if (state && seen[seen.length - 1] !== state) seen.push(state);
  });
  return seen;
}

export function snapshotsOf(h: SimHarness, name: string): KubeObject[] {
  return h.store
    .list('flinkstatesnapshots', NS)
    .filter((snapshot) => snapshot.metadata.labels?.['job-reference.name'] === name);
}
