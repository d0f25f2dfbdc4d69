// The embedded cluster's object store: what etcd + the API server's storage layer do for the
// resources the simulator serves. Every write gets a new, monotonically increasing resourceVersion;
// spec changes bump metadata.generation; deletes honour finalizers; a bounded history lets
// watches resume from a resourceVersion (and tells them when it is too old: 410 Gone).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { ObjectMeta } from '../manifests/types.ts';

export type ResourceName = 'flinkdeployments' | 'flinkstatesnapshots' | 'events';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceName;
  /** a private copy; listeners may keep it */
  object: KubeObject;
  resourceVersion: number;
}

export type StoreErrorKind = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'Gone';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface ReplaceOptions {
  /** write only the status (the status subresource): spec and metadata stay as stored */
  subresource?: 'status';
}

export interface StoreSnapshot {
  resourceVersion: number;
  objects: { resource: ResourceName; object: KubeObject }[];
}

const clone = <T>(value: T): T => structuredClone(value);

export class ObjectStore extends EventEmitter {
  private rv = 0;
  private readonly objects = new Map<string, { resource: ResourceName; object: KubeObject }>();
  private readonly history: StoreEvent[] = [];
  /** events at or below this resourceVersion have been dropped from history */
  private compactedThrough = 0;

  constructor(private readonly historyLimit = 50_000) {
    super();
    this.setMaxListeners(0);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: ResourceName, namespace: string, name: string): KubeObject | undefined {
    const entry = this.objects.get(keyOf(resource, namespace, name));
    return entry ? clone(entry.object) : undefined;
  }

  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const entry of this.objects.values()) {
      if (entry.resource !== resource) continue;
      if (namespace !== undefined && entry.object.metadata.namespace !== namespace) continue;
      out.push(clone(entry.object));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace}/${b.metadata.name}`,
      ),
    );
  }

  /**
   * The stored objects themselves, in list() order, without copying: for serialising them at once
   * (the API's list and initial watch events). Callers must neither modify nor keep them.
   */
  listShared(resource: ResourceName, namespace?: string): readonly KubeObject[] {
    const out: KubeObject[] = [];
    for (const entry of this.objects.values()) {
      if (entry.resource !== resource) continue;
      if (namespace !== undefined && entry.object.metadata.namespace !== namespace) continue;
      out.push(entry.object);
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace}/${b.metadata.name}`,
      ),
    );
  }

  create(resource: ResourceName, input: KubeObject): KubeObject {
    const namespace = input.metadata.namespace ?? 'default';
    const key = keyOf(resource, namespace, input.metadata.name);
    if (this.objects.has(key)) {
      throw new StoreError('AlreadyExists', `${resource} "${input.metadata.name}" already exists`);
    }
    const object = clone(input);
    const meta = object.metadata;
    meta.namespace = namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    meta.resourceVersion = String(++this.rv);
    this.objects.set(key, { resource, object });
    this.record('ADDED', resource, object);
    return clone(object);
  }

  /**
   * PUT semantics. A resourceVersion in the input must match the stored one (409 otherwise).
   * The main resource ignores status; the status subresource ignores everything but status.
   */
  replace(resource: ResourceName, input: KubeObject, options: ReplaceOptions = {}): KubeObject {
    const namespace = input.metadata.namespace ?? 'default';
    const key = keyOf(resource, namespace, input.metadata.name);
    const entry = this.objects.get(key);
    if (!entry) throw new StoreError('NotFound', `${resource} "${input.metadata.name}" not found`);
    const current = entry.object;
    const wanted = input.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== '' && wanted !== current.metadata.resourceVersion) {
      throw new StoreError(
        'Conflict',
        `Operation cannot be fulfilled on ${resource} "${input.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const next = clone(current);
    if (options.subresource === 'status') {
      next.status = clone(input.status);
    } else {
      const incomingMeta = input.metadata;
      next.metadata.labels = clone(incomingMeta.labels);
      next.metadata.annotations = clone(incomingMeta.annotations);
      next.metadata.finalizers = clone(incomingMeta.finalizers);
      if (next.metadata.labels === undefined) delete next.metadata.labels;
      if (next.metadata.annotations === undefined) delete next.metadata.annotations;
      if (next.metadata.finalizers === undefined) delete next.metadata.finalizers;
      for (const [field, value] of Object.entries(input)) {
        if (field === 'metadata' || field === 'status' || field === 'apiVersion' || field === 'kind')
          continue;
        next[field] = clone(value);
      }
      for (const field of Object.keys(next)) {
        if (!(field in input) && !['metadata', 'status', 'apiVersion', 'kind'].includes(field))
          delete next[field];
      }
      if (!isDeepStrictEqual(current.spec, next.spec)) {
        next.metadata.generation = (current.metadata.generation ?? 1) + 1;
      }
    }
    if (isDeepStrictEqual(current, next)) return clone(current);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(key);
      next.metadata.resourceVersion = String(++this.rv);
      this.record('DELETED', resource, next);
      return clone(next);
    }
    next.metadata.resourceVersion = String(++this.rv);
    entry.object = next;
    this.record('MODIFIED', resource, next);
    return clone(next);
  }

  /** Deletes at once, or marks deletionTimestamp while finalizers remain (the owner's controller removes them). */
  delete(resource: ResourceName, namespace: string, name: string): KubeObject {
    const key = keyOf(resource, namespace, name);
    const entry = this.objects.get(key);
    if (!entry) throw new StoreError('NotFound', `${resource} "${name}" not found`);
    const object = clone(entry.object);
    if ((object.metadata.finalizers ?? []).length > 0) {
      if (object.metadata.deletionTimestamp) return object;
      object.metadata.deletionTimestamp = new Date().toISOString();
      object.metadata.resourceVersion = String(++this.rv);
      entry.object = object;
      this.record('MODIFIED', resource, object);
      return clone(object);
    }
    this.objects.delete(key);
    object.metadata.resourceVersion = String(++this.rv);
    this.record('DELETED', resource, object);
    return clone(object);
  }

  /** Events after `resourceVersion`, oldest first; throws Gone when history no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    if (resourceVersion < this.compactedThrough) {
      throw new StoreError(
        'Gone',
        `too old resource version: ${resourceVersion} (${this.compactedThrough + 1})`,
      );
    }
    const out: StoreEvent[] = [];
    for (let i = this.history.length - 1; i >= 0; i--) {
      const event = this.history[i];
      if (event.resourceVersion <= resourceVersion) break;
      out.push(event);
    }
    return out.reverse();
  }

  /** Forget history up to the current version (tests use it to provoke 410 Gone). */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.rv;
  }

  snapshot(): StoreSnapshot {
    return {
      resourceVersion: this.rv,
      objects: [...this.objects.values()].map((entry) => ({
        resource: entry.resource,
        object: clone(entry.object),
      })),
    };
  }

  restore(snapshot: StoreSnapshot): void {
    this.objects.clear();
    this.history.length = 0;
    this.rv = snapshot.resourceVersion;
    this.compactedThrough = snapshot.resourceVersion;
    for (const { resource, object } of snapshot.objects) {
      this.objects.set(keyOf(resource, object.metadata.namespace ?? 'default', object.metadata.name), {
        resource,
        object: clone(object),
      });
    }
  }

  private record(type: WatchEventType, resource: ResourceName, object: KubeObject): void {
    const event: StoreEvent = { type, resource, object: clone(object), resourceVersion: this.rv };
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedThrough = dropped[dropped.length - 1].resourceVersion;
    }
    this.emit('change', event);
  }
}

function keyOf(resource: ResourceName, namespace: string, name: string): string {
  return `${resource}\u0000${namespace}\u0000${name}`;
}
