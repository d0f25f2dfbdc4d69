// The Flink Kubernetes Operator, simulated: a controller over the embedded cluster's ObjectStore with a
// perfect informer. It reacts to store changes at once, wakes itself when something it simulates is due
// (JM ready, job started, savepoint done), and resyncs every reconcile interval like the real operator.

import { childLogger } from '../../log.ts';
import type { FlinkDeploymentStatus } from '../../manifests/types.ts';
import type { KubeObject, ObjectStore, StoreEvent } from '../store.ts';
import type { JobTruth, SimTruth, StoredSnapshot } from '../types.ts';
import { isCanary, passCanary } from './canary.ts';
import { SIM_DURATIONS, SimClock } from './clock.ts';
import type { PassContext, StoredDeployment } from './context.ts';
import { EventRecorder } from './events.ts';
import { type Faults, readFaults } from './faults.ts';
import { reconcilePass } from './reconcile.ts';
import { advance, type ClusterRuntime, deleteCluster, newRuntime, truthOf } from './runtime.ts';
import { isQuiet, nextDueAt } from './schedule.ts';
import { type PendingSnapshot, SnapshotController } from './snapshot-controller.ts';
import { initialStatus } from './status.ts';
import { SnapshotStorage } from './storage.ts';

export { CANARY_LABEL } from './canary.ts';
export { FINALIZER } from './context.ts';
export { FAULT_ANNOTATIONS } from './faults.ts';

const log = childLogger({ component: 'sim-operator' });

/** passes over one object in a row while each still changes something (a multi-step flow in one go) */
const MAX_PASSES_PER_OBJECT = 8;
/** real-time floor for the periodic resync, so high speeds do not spin the CPU */
const MIN_RESYNC_REAL_MS = 250;
/** above this many deployments the periodic resync skips quiet ones (a full pass each time would block the API) */
const LARGE_CLUSTER = 200;

interface SavedState {
  version: 1;
  simNow: number;
  runtimes: ClusterRuntime[];
  storage: StoredSnapshot[];
  userSnapshots?: PendingSnapshot[];
}

export class OperatorSimulator implements SimTruth {
  readonly clock: SimClock;
  private readonly store: ObjectStore;
  private readonly storage = new SnapshotStorage();
  private readonly events: EventRecorder;
  private readonly runtimes = new Map<string, ClusterRuntime>();
  private readonly dirty = new Set<string>();
  private readonly dirtySnapshots = new Set<string>();
  private readonly snapshots: SnapshotController;
  private running = false;
  private applying = false;
  private soon: NodeJS.Immediate | null = null;
  private wake: NodeJS.Timeout | null = null;
  private resync: NodeJS.Timeout | null = null;
  /** every FlinkDeployment's current resourceVersion, kept from change events so resyncs need not list */
  private readonly known = new Map<string, string>();
  private readonly onChange = (event: StoreEvent): void => {
    if (event.resource === 'flinkstatesnapshots') {
      if (this.applying || event.type === 'DELETED') return;
      this.dirtySnapshots.add(
        `${event.object.metadata.namespace ?? 'default'}/${event.object.metadata.name}`,
      );
      this.scheduleSoon();
      return;
    }
    if (event.resource !== 'flinkdeployments') return;
    const key = keyOf(event.object.metadata.namespace ?? 'default', event.object.metadata.name);
    if (event.type === 'DELETED') this.known.delete(key);
    else this.known.set(key, event.object.metadata.resourceVersion ?? '');
    if (this.applying) return;
    this.dirty.add(key);
    this.scheduleSoon();
  };

  constructor(options: { store: ObjectStore; speed?: number }) {
    this.store = options.store;
    this.clock = new SimClock(options.speed ?? 1);
    this.events = new EventRecorder(options.store);
    this.snapshots = new SnapshotController({
      store: this.store,
      storage: this.storage,
      events: this.events,
      clock: this.clock,
      runtimeOf: (namespace, name) => {
        const rt = this.runtimes.get(keyOf(namespace, name));
        if (rt) advance(rt, this.clock.now(), this.storage, this.faultsOf(namespace, name));
        return rt;
      },
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.store.on('change', this.onChange);
    const period = Math.max(MIN_RESYNC_REAL_MS, SIM_DURATIONS.reconcileInterval / this.clock.speed);
    this.resync = setInterval(() => this.passAll(), period);
    this.resync.unref();
    this.scheduleSoon(true);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.store.off('change', this.onChange);
    if (this.soon) clearImmediate(this.soon);
    if (this.wake) clearTimeout(this.wake);
    if (this.resync) clearInterval(this.resync);
    this.soon = null;
    this.wake = null;
    this.resync = null;
  }

  /** one full pass over every stored object now, quiet ones included (works without start()) */
  async reconcileNow(): Promise<void> {
    this.dirty.clear();
    for (const snapshot of this.store.list('flinkstatesnapshots')) {
      this.dirtySnapshots.add(`${snapshot.metadata.namespace ?? 'default'}/${snapshot.metadata.name}`);
    }
    // new snapshots first: a declared (alreadyExists) savepoint is in storage before a deployment restores from it
    this.passSnapshots();
    for (const object of this.store.list('flinkdeployments')) {
      const key = keyOfObject(object);
      this.known.set(key, object.metadata.resourceVersion ?? '');
      this.passOne(key);
    }
    this.passSnapshots();
    this.scheduleWake();
  }

  getJob(namespace: string, name: string): JobTruth | undefined {
    const rt = this.runtimes.get(keyOf(namespace, name));
    if (!rt || rt.session || !rt.everSubmitted) return undefined;
    advance(rt, this.clock.now(), this.storage, this.faultsOf(namespace, name));
    return truthOf(rt, this.clock.now());
  }

  listStorage(): StoredSnapshot[] {
    const now = this.clock.now();
    for (const rt of this.runtimes.values()) {
      // only a live job adds files (checkpoints) by itself
      if (rt.job?.state === 'RUNNING' || rt.job?.state === 'RECONCILING') {
        advance(rt, now, this.storage, this.faultsOf(rt.namespace, rt.name));
      }
    }
    return this.storage.list();
  }

  snapshot(): unknown {
    const saved: SavedState = {
      version: 1,
      simNow: this.clock.now(),
      runtimes: [...this.runtimes.values()].map((rt) => structuredClone(rt)),
      storage: this.storage.list(),
      userSnapshots: this.snapshots.saved(),
    };
    return saved;
  }

  restore(data: unknown): void {
    const saved = data as Partial<SavedState> | null;
    if (saved?.version !== 1 || !Array.isArray(saved.runtimes) || !Array.isArray(saved.storage)) {
      throw new Error('cannot restore the operator simulator: state is not a version-1 simulator snapshot');
    }
    this.runtimes.clear();
    for (const rt of saved.runtimes) this.runtimes.set(keyOf(rt.namespace, rt.name), structuredClone(rt));
    this.storage.restore(saved.storage);
    this.snapshots.restore(saved.userSnapshots);
    if (typeof saved.simNow === 'number') this.clock.resumeAt(saved.simNow);
    if (this.running) this.scheduleSoon(true);
  }

  /** row 20 support: cancel a job behind the operator's back (like `flink cancel` from outside) */
  cancelJobExternally(namespace: string, name: string): boolean {
    const rt = this.runtimes.get(keyOf(namespace, name));
    if (!rt) return false;
    advance(rt, this.clock.now(), this.storage, this.faultsOf(namespace, name));
    const job = rt.job;
    if (!job) return false;
    if (job.state !== 'RUNNING') return false;
    rt.offset = truthOf(rt, this.clock.now()).offset;
    job.state = 'CANCELED';
    job.runningSince = null;
    job.updateTime = Date.now();
    rt.ha = null; // a globally terminal job's HA data is cleaned up by Flink
    rt.nextCheckpointAt = null;
    this.dirty.add(keyOf(namespace, name));
    this.scheduleSoon();
    return true;
  }

  private faultsOf(namespace: string, name: string): Faults {
    const object = this.store.get('flinkdeployments', namespace, name);
    return readFaults(object?.metadata ?? { name });
  }

  private scheduleSoon(all = false): void {
    if (all) {
      for (const object of this.store.list('flinkdeployments')) {
        const key = keyOfObject(object);
        this.known.set(key, object.metadata.resourceVersion ?? '');
        this.dirty.add(key);
      }
    }
    if (this.soon || !this.running) return;
    this.soon = setImmediate(() => {
      this.soon = null;
      // snapshots created with the deployments go first (a declared savepoint is in storage before a
      // deployment created alongside restores from it), then once more for what the passes moved on
      this.passSnapshots();
      const keys = [...this.dirty];
      this.dirty.clear();
      for (const key of keys) this.passOne(key);
      this.passSnapshots();
      this.scheduleWake();
    });
  }

  /** the periodic resync; above LARGE_CLUSTER deployments, quiet ones are skipped until they change */
  private passAll(): void {
    this.dirty.clear();
    const skipQuiet = this.known.size > LARGE_CLUSTER;
    const keys: string[] = [];
    for (const [key, resourceVersion] of this.known) {
      const rt = this.runtimes.get(key);
      if (skipQuiet && rt?.quietAtRv && rt.quietAtRv === resourceVersion) continue;
      keys.push(key);
    }
    for (const key of keys) this.passOne(key);
    this.passSnapshots();
    this.scheduleWake();
  }

  /** user-created FlinkStateSnapshots: new ones, then whatever is due */
  private passSnapshots(): void {
    const keys = [...this.dirtySnapshots];
    this.dirtySnapshots.clear();
    this.applying = true;
    try {
      for (const key of keys) {
        const [namespace, name] = key.split('/');
        this.snapshots.reconcile(namespace, name);
      }
      this.snapshots.progress();
    } catch (error) {
      log.error({ err: error }, 'simulated snapshot controller pass failed');
    } finally {
      this.applying = false;
    }
  }

  /** the wake-up timer: only deployments with something due */
  private passDue(): void {
    const now = this.clock.now();
    const due: string[] = [];
    for (const [key, rt] of this.runtimes) {
      if (rt.wakeAt != null && rt.wakeAt <= now + 1) due.push(key);
    }
    for (const key of due) this.passOne(key);
    this.passSnapshots();
    this.scheduleWake();
  }

  private passOne(key: string): void {
    const [namespace, name] = key.split('\u0000');
    let latest: StoredDeployment | undefined;
    this.applying = true;
    try {
      for (let pass = 0; pass < MAX_PASSES_PER_OBJECT; pass++) {
        const object = this.store.get('flinkdeployments', namespace, name);
        latest = object as StoredDeployment | undefined;
        if (!object) break;
        if (isCanary(object.metadata)) {
          this.passCanary(key, object);
          return;
        }
        const before = object.metadata.resourceVersion;
        const ctx = this.contextFor(object);
        reconcilePass(ctx);
        latest = ctx.gone ? undefined : ctx.fd;
        if (ctx.gone || ctx.fd.metadata.resourceVersion === before) break;
      }
    } catch (error) {
      latest = this.store.get('flinkdeployments', namespace, name) as StoredDeployment | undefined;
      log.error({ err: error, deployment: `${namespace}/${name}` }, 'simulated operator pass failed');
    } finally {
      this.applying = false;
    }
    const rt = this.runtimes.get(key);
    if (!rt) return;
    rt.wakeAt = latest ? nextDueAt(rt, latest) : null;
    rt.quietAtRv = latest && isQuiet(rt, latest) ? (latest.metadata.resourceVersion ?? null) : null;
  }

  /**
   * A canary (see canary.ts) is left alone: no status, no events, no job. A cluster it had before it was
   * labelled keeps running unobserved; deleting the canary takes that cluster with it (its JobManager
   * deployment is owned by the CR, so Kubernetes garbage-collects it), still without operator cleanup.
   */
  private passCanary(key: string, object: KubeObject): void {
    passCanary(this.store, object);
    const rt = this.runtimes.get(key);
    if (!rt) return;
    if (object.metadata.deletionTimestamp && rt.uid === object.metadata.uid) {
      deleteCluster(rt, this.clock.now());
    }
    rt.wakeAt = null;
    rt.quietAtRv = null;
  }

  private contextFor(object: KubeObject): PassContext {
    const namespace = object.metadata.namespace ?? 'default';
    const name = object.metadata.name;
    const key = keyOf(namespace, name);
    let rt = this.runtimes.get(key);
    if (!rt || rt.uid !== object.metadata.uid) {
      // a new object of that name is a new deployment: no cluster, no state (files in storage stay);
      // the name keeps its job truth until the new one submits a job
      const previous = rt;
      rt = newRuntime(namespace, name, object.metadata.uid ?? null);
      if (previous?.everSubmitted) {
        rt.everSubmitted = true;
        rt.offset = previous.offset;
        rt.restoredFrom = previous.restoredFrom;
      }
      this.runtimes.set(key, rt);
    }
    return {
      store: this.store,
      storage: this.storage,
      events: this.events,
      clock: this.clock,
      now: this.clock.now(),
      fd: object as StoredDeployment,
      status: structuredClone((object.status as FlinkDeploymentStatus | undefined) ?? initialStatus()),
      rt,
      faults: readFaults(object.metadata),
      invalid: false,
      gone: false,
    };
  }

  /** one timer for the earliest simulated thing that falls due */
  private scheduleWake(): void {
    if (!this.running) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const rt of this.runtimes.values()) {
      if (rt.wakeAt != null && rt.wakeAt < earliest) earliest = rt.wakeAt;
    }
    const snapshotDue = this.snapshots.nextDueAt();
    if (snapshotDue !== null && snapshotDue < earliest) earliest = snapshotDue;
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(2 ** 31 - 1, Math.ceil(this.clock.realDelayUntil(earliest)) + 1);
    this.wake = setTimeout(() => {
      this.wake = null;
      this.passDue();
    }, delay);
    this.wake.unref();
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

function keyOfObject(object: KubeObject): string {
  return keyOf(object.metadata.namespace ?? 'default', object.metadata.name);
}
