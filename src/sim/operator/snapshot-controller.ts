// FlinkStateSnapshot resources created by users (kubectl, tools): the operator's snapshot controller.
// A savepoint or checkpoint of the referenced FlinkDeployment's running job is triggered (IN_PROGRESS)
// and ends COMPLETED with status.path, FAILED, or ABANDONED when the job stops. `alreadyExists`
// savepoints are recorded as COMPLETED at once, and their path is registered in the simulated storage
// (see declareExisting) so a deployment can restore from it. Resources that already carry a status (the
// ones the simulated operator creates itself) are left alone.
import { randomBytes } from 'node:crypto';
import type { FlinkDeployment } from '../../manifests/types.ts';
import type { ObjectStore } from '../store.ts';
import { SIM_DURATIONS, type SimClock } from './clock.ts';
import type { EventRecorder } from './events.ts';
import { type Faults, readFaults } from './faults.ts';
import {
  type ClusterRuntime,
  isRunning,
  savepointsDirOf,
  takeCheckpointNow,
  takeSavepoint,
} from './runtime.ts';
import { updateSnapshot } from './snapshots.ts';
import type { SnapshotStorage } from './storage.ts';

export interface PendingSnapshot {
  namespace: string;
  name: string;
  /** simulated time to look again (trigger retry or completion); null while a hang fault holds it */
  dueAt: number | null;
}

interface SnapshotSpec {
  jobReference?: { kind?: string; name?: string };
  savepoint?: { path?: string; alreadyExists?: boolean; formatType?: string } | null;
  checkpoint?: Record<string, unknown> | null;
}

export interface SnapshotControllerDeps {
  store: ObjectStore;
  storage: SnapshotStorage;
  events: EventRecorder;
  clock: SimClock;
  runtimeOf(namespace: string, name: string): ClusterRuntime | undefined;
}

export class SnapshotController {
  private readonly pending = new Map<string, PendingSnapshot>();

  constructor(private readonly deps: SnapshotControllerDeps) {}

  /** a FlinkStateSnapshot was added or changed */
  reconcile(namespace: string, name: string): void {
    const { store } = this.deps;
    const key = `${namespace}/${name}`;
    const object = store.get('flinkstatesnapshots', namespace, name);
    if (!object) {
      this.pending.delete(key);
      return;
    }
    const state = (object.status as { state?: string } | undefined)?.state;
    if (state && !this.pending.has(key)) return; // operator-created or already finished
    if (state === 'IN_PROGRESS') return; // ours, progressing
    const spec = (object.spec ?? {}) as SnapshotSpec;
    const fail = (message: string) => {
      this.pending.delete(key);
      updateSnapshot(store, namespace, name, (status) => {
        status.state = 'FAILED';
        status.error = message;
        status.failures = (status.failures ?? 0) + 1;
        status.resultTimestamp = new Date().toISOString();
      });
      this.deps.events.record(object, 'Warning', 'SnapshotError', message);
    };
    if (spec.savepoint?.alreadyExists) {
      if (!spec.savepoint.path) {
        fail('Savepoint path must be set when alreadyExists is true');
        return;
      }
      this.declareExisting(namespace, name, spec);
      updateSnapshot(store, namespace, name, (status) => {
        status.state = 'COMPLETED';
        status.path = spec.savepoint!.path;
        status.failures = 0;
        status.resultTimestamp = new Date().toISOString();
      });
      return;
    }
    if ((spec.jobReference?.kind ?? 'FlinkDeployment') !== 'FlinkDeployment' || !spec.jobReference?.name) {
      fail(`Only FlinkDeployment job references are simulated (got ${spec.jobReference?.kind ?? 'none'})`);
      return;
    }
    const deployment = store.get('flinkdeployments', namespace, spec.jobReference.name) as
      | FlinkDeployment
      | undefined;
    if (!deployment) {
      fail(`Secondary resource FlinkDeployment ${namespace}/${spec.jobReference.name} not found`);
      return;
    }
    const isSavepoint = spec.checkpoint == null;
    if (isSavepoint && !spec.savepoint?.path && !savepointsDirOf(deployment.spec)) {
      fail('Savepoint path is not set and state.savepoints.dir is not configured for the job');
      return;
    }
    const rt = this.deps.runtimeOf(namespace, spec.jobReference.name);
    const now = this.deps.clock.now();
    if (!rt || !isRunning(rt)) {
      // wait for the job to run; look again every reconcile interval
      this.pending.set(key, { namespace, name, dueAt: now + SIM_DURATIONS.reconcileInterval });
      if (!state) {
        updateSnapshot(store, namespace, name, (status) => {
          status.state = 'TRIGGER_PENDING';
        });
      }
      return;
    }
    const faults = readFaults(deployment.metadata);
    this.pending.set(key, {
      namespace,
      name,
      dueAt: faults.savepoint === 'hang' ? null : now + SIM_DURATIONS.savepoint,
    });
    updateSnapshot(store, namespace, name, (status) => {
      status.state = 'IN_PROGRESS';
      status.triggerId = randomBytes(16).toString('hex');
      status.triggerTimestamp = new Date().toISOString();
      status.failures = status.failures ?? 0;
    });
  }

  /**
   * A savepoint the user declares with `alreadyExists: true` lives on their file system, which the
   * simulated storage stands for: register its path there unless it is known already (one the simulator
   * took keeps its offset). How many records it holds cannot be known, so it is registered with offset 0:
   * a job restored from it starts counting at 0. It is filed under the referenced deployment's name, or
   * the snapshot's own when it references none (the operator's example declares it without jobReference).
   */
  private declareExisting(namespace: string, name: string, spec: SnapshotSpec): void {
    const path = spec.savepoint?.path;
    if (!path || this.deps.storage.get(path)) return;
    this.deps.storage.add({
      path,
      kind: 'savepoint',
      namespace,
      name: spec.jobReference?.name || name,
      offset: 0,
      createdAt: new Date().toISOString(),
    });
  }

  /** move on every pending snapshot that is due */
  progress(): void {
    const now = this.deps.clock.now();
    for (const [key, entry] of [...this.pending]) {
      const { store } = this.deps;
      const object = store.get('flinkstatesnapshots', entry.namespace, entry.name);
      if (!object) {
        this.pending.delete(key);
        continue;
      }
      const spec = (object.spec ?? {}) as SnapshotSpec;
      const state = (object.status as { state?: string } | undefined)?.state;
      if (state === 'TRIGGER_PENDING') {
        if (entry.dueAt !== null && entry.dueAt <= now) this.reconcile(entry.namespace, entry.name);
        continue;
      }
      const deploymentName = spec.jobReference?.name ?? '';
      const deployment = store.get('flinkdeployments', entry.namespace, deploymentName) as
        | FlinkDeployment
        | undefined;
      const rt = this.deps.runtimeOf(entry.namespace, deploymentName);
      if (!deployment || !rt || !isRunning(rt)) {
        this.pending.delete(key);
        updateSnapshot(store, entry.namespace, entry.name, (status) => {
          status.state = 'ABANDONED';
          status.resultTimestamp = new Date().toISOString();
        });
        this.deps.events.record(
          object,
          'Warning',
          'SnapshotAbandoned',
          'The job stopped before the snapshot completed',
        );
        continue;
      }
      const faults: Faults = readFaults(deployment.metadata);
      if (entry.dueAt === null) {
        if (faults.savepoint === 'hang') continue;
        entry.dueAt = now + SIM_DURATIONS.savepoint;
      }
      if (entry.dueAt > now) continue;
      this.pending.delete(key);
      if (faults.savepoint === 'fail') {
        const message = `Snapshot failed for job ${rt.job?.jobId} (simulated fault sim.flinkops.io/savepoint=fail)`;
        updateSnapshot(store, entry.namespace, entry.name, (status) => {
          status.state = 'FAILED';
          status.error = message;
          status.failures = (status.failures ?? 0) + 1;
          status.resultTimestamp = new Date().toISOString();
        });
        this.deps.events.record(object, 'Warning', 'SnapshotError', message);
        continue;
      }
      const path =
        spec.checkpoint != null
          ? takeCheckpointNow(rt, this.deps.storage, now).path
          : takeSavepoint(
              rt,
              this.deps.storage,
              spec.savepoint?.path || savepointsDirOf(deployment.spec)!,
              now,
            ).path;
      updateSnapshot(store, entry.namespace, entry.name, (status) => {
        status.state = 'COMPLETED';
        status.path = path;
        status.resultTimestamp = new Date().toISOString();
      });
    }
  }

  nextDueAt(): number | null {
    let earliest: number | null = null;
    for (const entry of this.pending.values()) {
      if (entry.dueAt !== null && (earliest === null || entry.dueAt < earliest)) earliest = entry.dueAt;
    }
    return earliest;
  }

  saved(): PendingSnapshot[] {
    return [...this.pending.values()].map((entry) => ({ ...entry }));
  }

  restore(entries: PendingSnapshot[] | undefined): void {
    this.pending.clear();
    for (const entry of entries ?? []) this.pending.set(`${entry.namespace}/${entry.name}`, { ...entry });
  }
}
