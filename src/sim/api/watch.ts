// Watch streams: newline-delimited JSON events over a chunked response, the way the API server sends them.
// From a resourceVersion the stream replays the store's history after it (410 as an ERROR event when the
// history no longer reaches back); without one it starts with ADDED for every current object.
import type { ServerResponse } from 'node:http';
import type { KubeObject, ObjectStore, StoreEvent } from '../store.ts';
import { StoreError } from '../store.ts';
import { apiVersionOf, type ResourceDef } from './resources.ts';
import type { Matcher } from './selectors.ts';
import { gone } from './status.ts';
import { toTable } from './table.ts';

export interface WatchOptions {
  store: ObjectStore;
  def: ResourceDef;
  namespace?: string;
  labels: Matcher;
  /** a label selector was given: objects can move in and out of the watch's view */
  labelSelected?: boolean;
  fields: Matcher;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /** answer each event's object as a one-row Table (kubectl get -w) */
  table: boolean;
  includeObject?: string | null;
  /** cut the stream after its first event (fault injection) */
  drop: boolean;
  bookmarkIntervalMs?: number;
  /** called when the stream ends, however it ends */
  onEnd?: () => void;
}

/** Real servers end watches after a random 30-60 minutes; bounded here too so no stream lives forever. */
const MAX_WATCH_SECONDS = 1800;

export function serveWatch(res: ServerResponse, options: WatchOptions): void {
  const { store, def } = options;
  const inScope = (event: { resource: string; object: KubeObject }) =>
    event.resource === def.resource &&
    (options.namespace === undefined || event.object.metadata.namespace === options.namespace);
  const selected = (object: KubeObject) => options.labels(object) && options.fields(object);
  const keyOf = (object: KubeObject) => `${object.metadata.namespace}/${object.metadata.name}`;
  // Objects the client currently sees through its selectors: an object whose labels stop matching is
  // DELETED for this watch and one that starts matching is ADDED, as the API server's watch cache does.
  const visible = new Set<string>();
  /** The event this watch sends for a store event, or undefined when it sends none. */
  const translate = (event: { type: string; object: KubeObject }): string | undefined => {
    // names and namespaces never change, so without a label selector an event passes as it is
    if (!options.labelSelected) return selected(event.object) ? event.type : undefined;
    const key = keyOf(event.object);
    const was = visible.has(key);
    const now = event.type !== 'DELETED' && selected(event.object);
    if (now) visible.add(key);
    else visible.delete(key);
    if (event.type === 'DELETED') return was || selected(event.object) ? 'DELETED' : undefined;
    if (now) return was ? event.type : 'ADDED';
    return was ? 'DELETED' : undefined;
  };

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();

  let ended = false;
  const timers: NodeJS.Timeout[] = [];
  const end = () => {
    if (ended) return;
    ended = true;
    store.off('change', onChange);
    for (const t of timers) clearTimeout(t);
    if (!res.writableEnded) res.end();
    options.onEnd?.();
  };
  // A dropped connection: the event already written still reaches the client, then the socket is cut
  // without the chunked terminator, as when a load balancer or the API server dies mid-stream.
  const cut = () => {
    if (ended) return;
    ended = true;
    store.off('change', onChange);
    for (const t of timers) clearTimeout(t);
    res.write('', () => res.destroy());
    options.onEnd?.();
  };
  const send = (type: string, object: unknown) => {
    if (ended) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
    if (options.drop) cut();
  };
  const sendObject = (type: string, object: KubeObject) => {
    send(
      type,
      options.table
        ? toTable(def, [object], {
            resourceVersion: object.metadata.resourceVersion,
            includeObject: options.includeObject,
          })
        : object,
    );
  };
  function onChange(event: StoreEvent) {
    if (!inScope(event)) return;
    const type = translate(event);
    if (type) sendObject(type, event.object);
  }

  // Read the backlog and subscribe in the same tick, so no change falls between them.
  const rv = options.resourceVersion;
  let backlog: { type: string; object: KubeObject }[];
  if (rv === undefined || rv === '' || rv === '0') {
    const objects =
      options.namespace === undefined
        ? store.listShared(def.resource)
        : store.listShared(def.resource, options.namespace);
    backlog = objects.filter(selected).map((object) => ({ type: 'ADDED', object }));
    for (const { object } of backlog) visible.add(keyOf(object));
  } else {
    const from = Number(rv);
    try {
      if (!Number.isInteger(from) || from < 0)
        throw new StoreError('Gone', `invalid resource version: ${rv}`);
      // what matched at `from` is not kept; what matches now is the closest stand-in for the replay
      if (options.labelSelected)
        for (const object of options.namespace === undefined
          ? store.listShared(def.resource)
          : store.listShared(def.resource, options.namespace)) {
          if (selected(object)) visible.add(keyOf(object));
        }
      backlog = [];
      for (const event of store.eventsSince(from)) {
        if (!inScope(event)) continue;
        const type = translate(event);
        if (type) backlog.push({ type, object: event.object });
      }
    } catch (err) {
      if (!(err instanceof StoreError) || err.kind !== 'Gone') throw err;
      send('ERROR', gone(err.message).toStatus());
      end();
      return;
    }
  }
  store.on('change', onChange);
  res.on('close', end);
  res.on('error', end);

  for (const item of backlog) sendObject(item.type, item.object);
  if (ended) return; // cut by a fault while replaying

  const seconds = Math.min(options.timeoutSeconds ?? MAX_WATCH_SECONDS, MAX_WATCH_SECONDS);
  timers.push(setTimeout(end, seconds * 1000));
  if (options.allowBookmarks) {
    const interval = options.bookmarkIntervalMs ?? 10_000;
    const bookmark = () => {
      send('BOOKMARK', {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
        metadata: { resourceVersion: String(store.resourceVersion) },
      });
      if (!ended) timers.push(setTimeout(bookmark, interval));
    };
    timers.push(setTimeout(bookmark, interval));
  }
}
