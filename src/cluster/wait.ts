// Waiting for one FlinkDeployment to reach a state: an initial read, then a watch from that
// resourceVersion. Watches end for many reasons (server timeouts, proxies, dropped connections, the
// client library's own limits), so a dropped watch is resumed from the last resourceVersion seen, and
// a 410 Gone (that version was compacted away) starts over with a fresh read. The loop is bounded by
// the caller's timeout and a cap on re-watches.
import type { FlinkDeployment } from '../manifests/types.ts';
import { describeStatus } from './health.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';
import { ClusterError, type WaitOptions, type WaitPredicate } from './types.ts';

/** What the wait loop needs from a client: a read that also returns the version to watch from, and a watch. */
export interface WatchSource {
  /**
   * Current object (null if absent) and the resourceVersion to start watching from. `afterGone` is true
   * after a 410: the read must then return a current version (a list's), since the object's own
   * resourceVersion may be older than what the server still remembers.
   */
  read(afterGone: boolean): Promise<{ object: FlinkDeployment | null; resourceVersion: string | undefined }>;
  /**
   * Starts a watch on the one object from `resourceVersion`. `onEvent` receives raw watch events;
   * `onDone` is called exactly once when the stream ends (err null = clean close). Returns a handle to abort it.
   */
  watch(
    resourceVersion: string | undefined,
    timeoutSeconds: number,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

/** The predicate gave up on the object (it returned a reason): carries that reason and the object seen. */
export class WaitAbandonedError extends Error {
  constructor(
    message: string,
    readonly namespace: string,
    readonly objectName: string,
    readonly object: FlinkDeployment | null,
  ) {
    super(message);
    this.name = 'WaitAbandonedError';
  }
}

const MAX_WATCHES = 10_000;
const WATCH_BACKOFF: RetryPolicy = { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 50, maxDelayMs: 2_000 };
/** longest single watch request; the server ends it cleanly and we resume */
const MAX_WATCH_SECONDS = 290;

function statusCodeOf(value: unknown): number | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { statusCode?: unknown; code?: unknown };
  if (typeof v.statusCode === 'number') return v.statusCode;
  if (typeof v.code === 'number') return v.code;
  return undefined;
}

function resourceVersionOf(value: unknown): string | undefined {
  const rv = (value as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

export function waitForObject(
  source: WatchSource,
  namespace: string,
  name: string,
  predicate: WaitPredicate,
  options: WaitOptions,
): Promise<FlinkDeployment | null> {
  const target = `FlinkDeployment ${namespace}/${name}`;
  const what = options.waitingFor ?? 'the awaited state';

  return new Promise<FlinkDeployment | null>((resolve, reject) => {
    let finished = false;
    let observedAny = false;
    let last: FlinkDeployment | null = null;
    let lastDescription = '';
    let resourceVersion: string | undefined;
    let handle: { abort(): void } | undefined;
    let watches = 0;
    let failuresInARow = 0;
    let pendingTimer: NodeJS.Timeout | undefined;
    let lastProblem = '';

    const finish = (err: unknown, value?: FlinkDeployment | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(deadlineTimer);
      clearTimeout(pendingTimer);
      options.signal?.removeEventListener('abort', onAbort);
      handle?.abort();
      if (err) reject(err);
      else resolve(value ?? null);
    };

    const deadlineTimer = setTimeout(() => {
      const seen = observedAny ? describeStatus(last) : 'nothing (the API server never answered)';
      const problem = lastProblem ? `; last API problem: ${lastProblem}` : '';
      finish(
        new ClusterError(
          'Timeout',
          `timed out after ${Math.round(options.timeoutMs / 100) / 10}s waiting for ${target} to reach ${what}; last observed: ${seen}${problem}`,
          { namespace, name, reason: 'Timeout' },
        ),
      );
    }, options.timeoutMs);

    function onAbort() {
      const reason = options.signal?.reason;
      finish(reason instanceof Error ? reason : new Error(`wait for ${target} aborted`));
    }
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    /** Records an observation; returns true when the wait is over. */
    const observe = (object: FlinkDeployment | null): boolean => {
      observedAny = true;
      last = object;
      const description = describeStatus(object);
      if (description !== lastDescription) {
        lastDescription = description;
        try {
          options.onProgress?.(`${target}: ${description}`);
        } catch {
          // a failing progress reporter (e.g. a closed job log) must not end the wait
        }
      }
      let verdict: boolean | string;
      try {
        verdict = predicate(object);
      } catch (err) {
        finish(err);
        return true;
      }
      if (verdict === true) {
        finish(null, object);
        return true;
      }
      if (typeof verdict === 'string') {
        finish(new WaitAbandonedError(`${target}: ${verdict}`, namespace, name, object));
        return true;
      }
      return false;
    };

    const later = (fn: () => void) => {
      failuresInARow++;
      pendingTimer = setTimeout(fn, backoffDelay(WATCH_BACKOFF, failuresInARow));
    };

    const relist = async (afterGone: boolean) => {
      if (finished) return;
      try {
        const { object, resourceVersion: rv } = await source.read(afterGone);
        if (finished) return;
        resourceVersion = rv;
        if (observe(object)) return;
        failuresInARow = 0;
        startWatch();
      } catch (err) {
        if (finished) return;
        lastProblem = (err as Error)?.message ?? String(err);
        // A permanent error (RBAC, bad config) will not fix itself: report it rather than spin until the timeout.
        if (err instanceof ClusterError && (err.kind === 'Forbidden' || err.kind === 'Invalid')) {
          finish(err);
          return;
        }
        later(() => void relist(afterGone));
      }
    };

    const startWatch = () => {
      if (finished) return;
      if (++watches > MAX_WATCHES) {
        finish(
          new ClusterError(
            'Unavailable',
            `watch on ${target} was re-established ${MAX_WATCHES} times; giving up`,
          ),
        );
        return;
      }
      let events = 0;
      let gone = false;
      let done = false;
      const onEvent = (type: string, object: unknown) => {
        if (finished || done) return;
        if (type === 'ERROR') {
          if (statusCodeOf(object) === 410) gone = true;
          else
            lastProblem = `watch error: ${(object as { message?: string } | null)?.message ?? JSON.stringify(object)}`;
          return;
        }
        const rv = resourceVersionOf(object);
        if (rv) resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        events++;
        if (type === 'ADDED' || type === 'MODIFIED') observe(object as FlinkDeployment);
        else if (type === 'DELETED') observe(null);
      };
      const onDone = (err: unknown) => {
        if (finished || done) return;
        done = true;
        handle = undefined;
        if (gone || statusCodeOf(err) === 410) {
          // Our resourceVersion is too old for the server's history: read afresh and watch from there.
          failuresInARow = 0;
          void relist(true);
          return;
        }
        if (err) lastProblem = `watch ended: ${(err as Error)?.message ?? String(err)}`;
        if (!err && events > 0) {
          failuresInARow = 0;
          startWatch();
          return;
        }
        // An error, or a stream that closed without telling us anything: back off so a failing server is not hammered.
        later(startWatch);
      };
      const remaining = Math.max(1, Math.ceil(options.timeoutMs / 1000));
      source
        .watch(resourceVersion, Math.min(remaining, MAX_WATCH_SECONDS), onEvent, onDone)
        .then((h) => {
          if (finished || done) h.abort();
          else handle = h;
        })
        .catch(onDone);
    };

    void relist(false);
  });
}
