// core/v1 Events as the operator's EventRecorder writes them: one object per
// (object, reason, message), its count and lastTimestamp bumped when it repeats.
import { randomBytes } from 'node:crypto';
import { type KubeObject, type ObjectStore, StoreError } from '../store.ts';

export type EventType = 'Normal' | 'Warning';

const COMPONENT = 'flink-kubernetes-operator';

export class EventRecorder {
  /** (uid, reason, message) -> event name, so repeats are found without listing every event */
  private readonly seen = new Map<string, string>();

  constructor(private readonly store: ObjectStore) {}

  record(involved: KubeObject, type: EventType, reason: string, message: string): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const now = new Date().toISOString();
    const key = `${involved.metadata.uid}\u0000${reason}\u0000${message}`;
    const knownName = this.seen.get(key);
    const existing = knownName ? this.store.get('events', namespace, knownName) : undefined;
    if (existing) {
      existing.count = Number(existing.count ?? 1) + 1;
      existing.lastTimestamp = now;
      try {
        this.store.replace('events', existing);
        return;
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
      }
    }
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: '',
    };
    this.store.create('events', event);
    this.seen.set(key, event.metadata.name);
  }
}
