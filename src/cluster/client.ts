// The only code in flinkops that talks to a Kubernetes API server, built on @kubernetes/client-node 1.4.
// It works the same against a real cluster or the embedded one: only the kubeconfig differs.
// Writes are merge patches that carry metadata.resourceVersion as a precondition, so a concurrent
// change (the operator writing status, a person editing the spec) makes the API answer 409 and we
// re-read and rebuild the patch instead of overwriting what we did not see.

import { isDeepStrictEqual } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { childLogger } from '../log.ts';
import type { FlinkDeployment } from '../manifests/types.ts';
import { toClusterError } from './errors.ts';
import { type KubeConfigSource, loadKubeConfig } from './kubeconfig.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.ts';
import {
  type ClusterClient,
  ClusterError,
  type FlinkStateSnapshot,
  type WaitOptions,
  type WaitPredicate,
} from './types.ts';
import { waitForObject } from './wait.ts';

export const FLINK_GROUP = 'flink.apache.org';
export const FLINK_VERSION = 'v1beta1';
export const DEPLOYMENTS = 'flinkdeployments';
export const SNAPSHOTS = 'flinkstatesnapshots';

const log = childLogger({ component: 'cluster' });

export interface ClusterClientOptions {
  /** transport retries (5xx, 429, network) per call */
  retry?: RetryPolicy;
  /** re-read-and-rebuild rounds for a patch that keeps hitting 409 Conflict */
  conflictRetry?: RetryPolicy;
  /** a single API call that takes longer than this fails as Unavailable (and may be retried) */
  requestTimeoutMs?: number;
}

/** A Kubernetes Event about an object (core/v1), reduced to what a person reading a job log needs. */
export interface ClusterEvent {
  type: string;
  reason: string;
  message: string;
  count?: number;
  /** ISO-8601: lastTimestamp, eventTime or creationTimestamp, whichever the server set */
  time?: string;
}

interface ListResult<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
}

const CONFLICT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };

export class KubeClusterClient implements ClusterClient {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly version: VersionApi;
  private readonly watcher: Watch;
  private readonly retry: RetryPolicy;
  private readonly conflictRetry: RetryPolicy;
  private readonly requestTimeoutMs: number;

  constructor(
    readonly kubeConfig: KubeConfig,
    options: ClusterClientOptions = {},
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.version = kubeConfig.makeApiClient(VersionApi);
    this.watcher = new Watch(kubeConfig);
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.conflictRetry = options.conflictRetry ?? CONFLICT_RETRY;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** The API server this client talks to (from the kubeconfig). */
  get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? '';
  }

  async get(namespace: string, name: string): Promise<FlinkDeployment | null> {
    try {
      return await this.call('get FlinkDeployment', namespace, name, () =>
        this.custom.getNamespacedCustomObject({ ...this.deployments(namespace), name }),
      );
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'NotFound') return null;
      throw err;
    }
  }

  async create(obj: FlinkDeployment): Promise<FlinkDeployment> {
    const namespace = obj.metadata.namespace ?? 'default';
    const name = obj.metadata.name;
    const body = { ...obj, metadata: { ...obj.metadata, namespace } };
    let retried = false;
    try {
      return await this.call(
        'create FlinkDeployment',
        namespace,
        name,
        () => this.custom.createNamespacedCustomObject({ ...this.deployments(namespace), body }),
        {
          // A 409 that is not AlreadyExists on create means the write was refused before it happened.
          retryOn: (err) => {
            const again =
              err.kind === 'Unavailable' ||
              (err.kind === 'Conflict' && err.details.reason !== 'AlreadyExists');
            retried ||= again;
            return again;
          },
        },
      );
    } catch (err) {
      // After a transport failure our first attempt may have been applied: if what exists is what we sent, it is ours.
      if (retried && err instanceof ClusterError && err.kind === 'AlreadyExists') {
        const existing = await this.get(namespace, name);
        if (existing && isDeepStrictEqual(existing.spec, obj.spec)) return existing;
      }
      throw err;
    }
  }

  async patch(
    namespace: string,
    name: string,
    build: (current: FlinkDeployment) => Record<string, unknown> | null,
  ): Promise<FlinkDeployment> {
    return withRetry(
      async () => {
        const current = await this.get(namespace, name);
        if (!current) {
          throw new ClusterError(
            'NotFound',
            `patch FlinkDeployment ${namespace}/${name} failed: it does not exist`,
            {
              namespace,
              name,
              status: 404,
              reason: 'NotFound',
            },
          );
        }
        const patch = build(current);
        if (patch === null) return current;
        const metadata = (patch.metadata as Record<string, unknown> | undefined) ?? {};
        const body = {
          ...patch,
          metadata: { ...metadata, resourceVersion: current.metadata.resourceVersion },
        };
        return this.call('patch FlinkDeployment', namespace, name, () =>
          this.custom.patchNamespacedCustomObject(
            { ...this.deployments(namespace), name, body },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        );
      },
      (err) => err instanceof ClusterError && err.kind === 'Conflict',
      this.conflictRetry,
      {
        onRetry: (err, attempt) =>
          log.debug({ namespace, name, attempt, err: (err as Error).message }, 'patch conflict; re-reading'),
      },
    );
  }

  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.call(
        'delete FlinkDeployment',
        namespace,
        name,
        () => this.custom.deleteNamespacedCustomObject({ ...this.deployments(namespace), name }),
        { retryOn: (err) => err.kind === 'Unavailable' || err.kind === 'Conflict' },
      );
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'NotFound') return;
      throw err;
    }
  }

  /**
   * FlinkStateSnapshots of a deployment (operator-created ones carry the job-reference.name label; any
   * created by hand only have spec.jobReference), oldest first.
   */
  async listSnapshots(namespace: string, deploymentName: string): Promise<FlinkStateSnapshot[]> {
    const list = await this.call<ListResult<FlinkStateSnapshot>>(
      'list FlinkStateSnapshots',
      namespace,
      undefined,
      () =>
        this.custom.listNamespacedCustomObject({
          group: FLINK_GROUP,
          version: FLINK_VERSION,
          namespace,
          plural: SNAPSHOTS,
        }),
    );
    return (list.items ?? [])
      .filter((s) => {
        const ref = s.spec?.jobReference;
        if (ref?.name) return ref.name === deploymentName && (!ref.kind || ref.kind === 'FlinkDeployment');
        return s.metadata.labels?.['job-reference.name'] === deploymentName;
      })
      .sort(
        (a, b) =>
          String(a.metadata.creationTimestamp ?? '').localeCompare(
            String(b.metadata.creationTimestamp ?? ''),
          ) || a.metadata.name.localeCompare(b.metadata.name),
      );
  }

  async getSnapshot(namespace: string, name: string): Promise<FlinkStateSnapshot | null> {
    try {
      return await this.call('get FlinkStateSnapshot', namespace, name, () =>
        this.custom.getNamespacedCustomObject({
          group: FLINK_GROUP,
          version: FLINK_VERSION,
          namespace,
          plural: SNAPSHOTS,
          name,
        }),
      );
    } catch (err) {
      if (err instanceof ClusterError && err.kind === 'NotFound') return null;
      throw err;
    }
  }

  /** Events the operator recorded about a FlinkDeployment (SpecChanged, Suspended, SavepointError...), oldest first. */
  async listEvents(namespace: string, name: string): Promise<ClusterEvent[]> {
    const list = await this.call('list Events', namespace, name, () =>
      this.core.listNamespacedEvent({ namespace }),
    );
    return (list.items ?? [])
      .filter(
        (e) =>
          e.involvedObject?.name === name &&
          (!e.involvedObject.kind || e.involvedObject.kind === 'FlinkDeployment'),
      )
      .map((e) => ({
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        count: e.count,
        time: isoTime(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp),
      }))
      .sort((a, b) => String(a.time ?? '').localeCompare(String(b.time ?? '')));
  }

  waitFor(
    namespace: string,
    name: string,
    predicate: WaitPredicate,
    options: WaitOptions,
  ): Promise<FlinkDeployment | null> {
    return waitForObject(
      {
        read: (afterGone) => this.readForWatch(namespace, name, afterGone),
        watch: (resourceVersion, timeoutSeconds, onEvent, onDone) =>
          this.watcher.watch(
            `/apis/${FLINK_GROUP}/${FLINK_VERSION}/namespaces/${encodeURIComponent(namespace)}/${DEPLOYMENTS}`,
            {
              fieldSelector: `metadata.name=${name}`,
              resourceVersion,
              allowWatchBookmarks: true,
              timeoutSeconds,
            },
            onEvent,
            onDone,
          ),
      },
      namespace,
      name,
      predicate,
      options,
    );
  }

  async ping(): Promise<void> {
    await this.call('GET /version', undefined, undefined, () => this.version.getCode(), {
      retryOn: () => false,
    });
  }

  /**
   * The object and a resourceVersion to watch from: the object's own (a plain GET), or a list's when the
   * object does not exist or after a 410 (the object's own version may predate the server's history).
   */
  private async readForWatch(
    namespace: string,
    name: string,
    afterGone: boolean,
  ): Promise<{ object: FlinkDeployment | null; resourceVersion: string | undefined }> {
    if (!afterGone) {
      const object = await this.get(namespace, name);
      if (object) return { object, resourceVersion: object.metadata.resourceVersion };
    }
    const list = await this.call<ListResult<FlinkDeployment>>('list FlinkDeployments', namespace, name, () =>
      this.custom.listNamespacedCustomObject({
        ...this.deployments(namespace),
        fieldSelector: `metadata.name=${name}`,
      }),
    );
    // It may have appeared between the two calls; the list is the newer truth.
    return { object: list.items?.[0] ?? null, resourceVersion: list.metadata?.resourceVersion };
  }

  private deployments(namespace: string) {
    return { group: FLINK_GROUP, version: FLINK_VERSION, namespace, plural: DEPLOYMENTS };
  }

  /**
   * One API call with a time limit, typed errors and bounded retries of transient failures.
   * `retryOn` decides which ClusterErrors are retried (default: Unavailable only).
   */
  private call<T>(
    operation: string,
    namespace: string | undefined,
    name: string | undefined,
    fn: () => Promise<T>,
    options: { retryOn?: (err: ClusterError) => boolean } = {},
  ): Promise<T> {
    const retryOn = options.retryOn ?? ((err: ClusterError) => err.kind === 'Unavailable');
    return withRetry(
      async () => {
        try {
          return await this.withTimeout(operation, fn());
        } catch (err) {
          throw toClusterError(err, { operation, namespace, name });
        }
      },
      (err) => err instanceof ClusterError && retryOn(err),
      this.retry,
      {
        onRetry: (err, attempt, delayMs) =>
          log.debug(
            { namespace, name, operation, attempt, delayMs, err: (err as Error).message },
            'retrying API call',
          ),
      },
    );
  }

  private withTimeout<T>(operation: string, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ClusterError(
              'Unavailable',
              `${operation}: no answer from the API server within ${this.requestTimeoutMs} ms`,
              {
                reason: 'Timeout',
              },
            ),
          ),
        this.requestTimeoutMs,
      );
    });
    // The abandoned request may still fail later; nobody is listening then.
    promise.catch(() => {});
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

function isoTime(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : undefined;
}

export interface CreateClusterClientOptions extends KubeConfigSource, ClusterClientOptions {}

/**
 * A client for the cluster named by a kubeconfig file (`kubeconfigPath`), the pod's service account
 * (`inCluster`), kubeconfig text, or the default chain ($KUBECONFIG, ~/.kube/config, in-cluster).
 */
export function createClusterClient(options: CreateClusterClientOptions = {}): KubeClusterClient {
  const kc = loadKubeConfig(options);
  return new KubeClusterClient(kc, options);
}
