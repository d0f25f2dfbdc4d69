// Namespaces of the embedded cluster. `default` and every namespace that holds an object exist
// implicitly (an object may be created in a namespace nobody created, unlike on a real API server, so
// manifests and tests need no setup step); `kubectl create namespace` adds an empty one, and
// `kubectl delete namespace` deletes every object in it (FlinkDeployments go through the operator's
// deletion first), as a real namespace's termination does.
import type { ServerResponse } from 'node:http';
import type { ObjectStore } from '../store.ts';
import type { JsonReply } from './handlers.ts';
import { type DecodedNamespace, decodeNamespace, isKubernetesProtobuf } from './protobuf-namespace.ts';
import { resourceDefs } from './resources.ts';
import { ApiError } from './status.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** as for every watch here: real servers end them after 30-60 minutes */
const MAX_WATCH_SECONDS = 1800;

/** `metadata.name=x` (or `==`) is the one field selector namespaces are watched and listed with */
function nameSelected(selector: string | null): string | null {
  if (!selector) return null;
  const m = /^metadata\.name==?([a-z0-9.-]+)$/.exec(selector.trim());
  if (!m) throw new ApiError(400, 'BadRequest', `field label not supported for namespaces: ${selector}`);
  return m[1];
}

export class Namespaces {
  /** when each namespace was first seen (kubectl shows an age); created ones stay until deleted */
  private readonly seenAt = new Map<string, string>([['default', new Date().toISOString()]]);
  private readonly created = new Set<string>(['default']);
  /** namespace watches, told when a namespace is created or deleted without any object changing */
  private readonly changed = new Set<() => void>();

  /** deleted, waiting for their FlinkDeployments to finish deleting (the operator's cleanup) */
  private readonly terminating = new Set<string>();
  private sweeping = false;

  constructor(private readonly store: ObjectStore) {
    store.on('change', () => this.finishTerminating());
  }

  reply(
    method: string,
    name: string | undefined,
    request: { body: Buffer; contentType?: string; query: URLSearchParams; res: ServerResponse },
  ): JsonReply {
    const { body, contentType = '', query, res } = request;
    if (name === undefined) {
      if (method === 'GET') {
        const only = nameSelected(query.get('fieldSelector'));
        if (query.get('watch') === 'true' || query.get('watch') === '1') {
          this.watch(res, only, query);
          return 'streaming';
        }
        return { code: 200, body: this.list(only) };
      }
      if (method === 'POST') return this.create(parseNamespace(body, contentType));
    } else {
      if (method === 'GET') return { code: 200, body: this.toNamespace(this.existing(name)) };
      if (method === 'DELETE') return this.delete(name);
    }
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `the embedded cluster's namespaces support get, list, create and delete, not ${method}`,
    );
  }

  private names(): Set<string> {
    const names = new Set(this.created);
    for (const def of resourceDefs()) {
      for (const object of this.store.listShared(def.resource))
        names.add(object.metadata.namespace ?? 'default');
    }
    return names;
  }

  private existing(name: string): string {
    if (!this.names().has(name))
      throw new ApiError(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' });
    return name;
  }

  private list(only: string | null) {
    return {
      apiVersion: 'v1',
      kind: 'NamespaceList',
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items: [...this.names()]
        .filter((n) => only === null || n === only)
        .sort()
        .map((n) => this.toNamespace(n)),
    };
  }

  /**
   * Namespaces come and go with the objects in them, so a watch compares the set after every change
   * (of the store or of a created namespace): ADDED and DELETED, from now on (kubectl delete waits on
   * one for the namespace to go). Without a resourceVersion it starts with ADDED for each, as usual.
   */
  private watch(res: ServerResponse, only: string | null, query: URLSearchParams): void {
    const current = () => new Set([...this.names()].filter((n) => only === null || n === only));
    let known = current();
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const send = (type: string, name: string) =>
      res.write(`${JSON.stringify({ type, object: this.toNamespace(name) })}\n`);
    const rv = query.get('resourceVersion');
    if (!rv || rv === '0') for (const n of [...known].sort()) send('ADDED', n);
    const onChange = () => {
      const now = current();
      for (const n of known) if (!now.has(n)) send('DELETED', n);
      for (const n of now) if (!known.has(n)) send('ADDED', n);
      known = now;
    };
    this.store.on('change', onChange);
    this.changed.add(onChange);
    const seconds = Math.min(Number(query.get('timeoutSeconds')) || MAX_WATCH_SECONDS, MAX_WATCH_SECONDS);
    const end = () => {
      clearTimeout(timer);
      this.store.off('change', onChange);
      this.changed.delete(onChange);
      if (!res.writableEnded) res.end();
    };
    const timer = setTimeout(end, seconds * 1000);
    res.on('close', end);
  }

  private create(input: DecodedNamespace): JsonReply {
    const name = input?.metadata?.name;
    if (typeof name !== 'string' || name === '')
      throw new ApiError(
        422,
        'Invalid',
        'Namespace "" is invalid: metadata.name: Required value: name is required',
        {
          kind: 'Namespace',
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    if (!DNS_LABEL.test(name) || name.length > 63) {
      const message =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
      throw new ApiError(
        422,
        'Invalid',
        `Namespace "${name}" is invalid: metadata.name: Invalid value: "${name}": ${message}`,
        {
          name,
          kind: 'Namespace',
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: `Invalid value: "${name}": ${message}`,
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    if (this.names().has(name))
      throw new ApiError(409, 'AlreadyExists', `namespaces "${name}" already exists`, {
        name,
        kind: 'namespaces',
      });
    this.created.add(name);
    this.seenAt.set(name, new Date().toISOString());
    for (const notify of this.changed) notify();
    return { code: 201, body: this.toNamespace(name, input.metadata?.labels) };
  }

  private delete(name: string): JsonReply {
    this.existing(name);
    if (name === 'default' || name.startsWith('kube-'))
      throw new ApiError(
        403,
        'Forbidden',
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        {
          name,
          kind: 'namespaces',
        },
      );
    this.created.delete(name);
    this.terminating.add(name);
    for (const def of resourceDefs()) {
      for (const object of this.store.list(def.resource, name)) {
        if (!object.metadata.deletionTimestamp) this.store.delete(def.resource, name, object.metadata.name);
      }
    }
    this.finishTerminating();
    const phase = this.terminating.has(name) ? 'Terminating' : 'Active';
    return { code: 200, body: this.toNamespace(name, undefined, phase) };
  }

  /**
   * A deleted namespace is gone once its FlinkDeployments are (the simulated operator removes their
   * finalizers); what the operator wrote meanwhile (events, snapshots) goes with it, as on a real cluster.
   */
  private finishTerminating(): void {
    if (this.sweeping || this.terminating.size === 0) return;
    this.sweeping = true;
    try {
      for (const name of [...this.terminating]) {
        if (this.store.listShared('flinkdeployments', name).length > 0) continue;
        this.terminating.delete(name);
        for (const def of resourceDefs()) {
          for (const object of this.store.list(def.resource, name))
            this.store.delete(def.resource, name, object.metadata.name);
        }
        this.seenAt.delete(name);
      }
    } finally {
      this.sweeping = false;
    }
    for (const notify of this.changed) notify();
  }

  private toNamespace(
    name: string,
    labels?: Record<string, string>,
    phase = this.terminating.has(name) ? 'Terminating' : 'Active',
  ) {
    let seen = this.seenAt.get(name);
    if (!seen) {
      seen = new Date().toISOString();
      this.seenAt.set(name, seen);
    }
    return {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        creationTimestamp: seen,
        labels: { ...labels, 'kubernetes.io/metadata.name': name },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase },
    };
  }
}

/** The body of a namespace create: JSON (client-node, curl) or protobuf (kubectl). */
function parseNamespace(body: Buffer, contentType: string): DecodedNamespace {
  try {
    if (isKubernetesProtobuf(body) || contentType.startsWith('application/vnd.kubernetes.protobuf'))
      return decodeNamespace(body);
    if (contentType === '' || contentType.startsWith('application/json')) {
      const parsed = JSON.parse(body.toString('utf8') || '{}') as DecodedNamespace | null;
      return parsed && typeof parsed === 'object'
        ? { ...parsed, metadata: parsed.metadata ?? {} }
        : { metadata: {} };
    }
  } catch (err) {
    throw new ApiError(
      400,
      'BadRequest',
      `cannot read the namespace in the request body: ${(err as Error).message}`,
    );
  }
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf`,
  );
}
