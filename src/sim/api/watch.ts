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
  const wanted = (event: { resource: string; object: KubeObject }) =>
    event.resource === def.resource &&
    (options.namespace === undefined || event.object.metadata.namespace === options.namespace) &&
    options.labels(event.object) &&
    options.fields(event.object);

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
    if (wanted(event)) sendObject(event.type, event.object);
  }

  // Read the backlog and subscribe in the same tick, so no change falls between them.
  const rv = options.resourceVersion;
  let backlog: { type: string; object: KubeObject }[];
  if (rv === undefined || rv === '' || rv === '0') {
    const objects =
      options.namespace === undefined
        ? store.list(def.resource)
        : store.list(def.resource, options.namespace);
    backlog = objects
      .filter((o) => options.labels(o) && options.fields(o))
      .map((object) => ({ type: 'ADDED', object }));
  } else {
    const from = Number(rv);
    try {
      if (!Number.isInteger(from) || from < 0)
        throw new StoreError('Gone', `invalid resource version: ${rv}`);
      backlog = store.eventsSince(from).filter(wanted);
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
