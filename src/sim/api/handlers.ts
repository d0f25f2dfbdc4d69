// The verbs on one resource (get, list, watch, create, update, patch, delete, and the status subresource),
// over the ObjectStore, with the API server's rules: schema validation, optimistic concurrency, Status errors.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { KubeObject, ObjectStore } from '../store.ts';
import { StoreError } from '../store.ts';
import type { FaultInjector } from './faults.ts';
import { applyPatch, patchTypeOf } from './patch.ts';
import { fieldValidationOf, handleUnknownFields, pruneUnknownFields } from './prune.ts';
import { apiVersionOf, type ResourceDef } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, badRequest, conflict, fromStoreError, invalid } from './status.ts';
import { toTable, wantsTable } from './table.ts';
import { validateObject } from './validate.ts';
import { serveWatch } from './watch.ts';

export interface ResourceRequest {
  method: string;
  def: ResourceDef;
  /** undefined = all namespaces (list/watch only) */
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HandlerContext {
  store: ObjectStore;
  faults: FaultInjector;
  bookmarkIntervalMs?: number;
  onWatchStart?: (res: ServerResponse) => void;
}

export type JsonReply = { code: number; body: unknown; warnings?: string[] } | 'streaming';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function refOf(req: ResourceRequest, name?: string) {
  return { group: req.def.group, kind: req.def.resource, objectKind: req.def.kind, name: name ?? req.name };
}

function parseBody(req: ResourceRequest): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded as JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('the body of the request must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Checks apiVersion/kind/namespace of a body against the URL, as the API server's decoder does. */
function asObject(req: ResourceRequest, raw: Record<string, unknown>): KubeObject {
  const expected = apiVersionOf(req.def);
  if (raw.apiVersion !== undefined && raw.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${String(raw.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (raw.kind !== undefined && raw.kind !== req.def.kind) {
    throw badRequest(
      `the kind in the data (${String(raw.kind)}) does not match the expected kind (${req.def.kind})`,
    );
  }
  const metadata = (raw.metadata ?? {}) as KubeObject['metadata'];
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw badRequest('metadata must be an object');
  if (metadata.namespace && req.namespace && metadata.namespace !== req.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return {
    ...raw,
    apiVersion: expected,
    kind: req.def.kind,
    metadata: { ...metadata, namespace: req.namespace },
  } as KubeObject;
}

function mapStoreErrors<T>(req: ResourceRequest, name: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StoreError) throw fromStoreError(err, refOf(req, name));
    throw err;
  }
}

function listOf(ctx: HandlerContext, req: ResourceRequest): KubeObject[] {
  const labels = parseLabelSelector(req.query.get('labelSelector'));
  const fields = parseFieldSelector(req.query.get('fieldSelector'), req.def.resource);
  const objects =
    req.namespace === undefined
      ? ctx.store.listShared(req.def.resource)
      : ctx.store.listShared(req.def.resource, req.namespace);
  return objects.filter((o) => labels(o) && fields(o));
}

function render(req: ResourceRequest, objects: KubeObject[] | KubeObject, resourceVersion: string): unknown {
  if (wantsTable(req.headers.accept)) {
    return toTable(req.def, Array.isArray(objects) ? objects : [objects], {
      resourceVersion,
      includeObject: req.query.get('includeObject'),
    });
  }
  if (!Array.isArray(objects)) return objects;
  return {
    apiVersion: apiVersionOf(req.def),
    kind: `${req.def.kind}List`,
    metadata: { resourceVersion },
    items: objects,
  };
}

/** Prunes fields the schema does not know; Strict fails the request, Warn returns Warning texts. */
function prune(req: ResourceRequest, object: KubeObject): string[] {
  return handleUnknownFields(pruneUnknownFields(req.def.schema, object), fieldValidationOf(req.query));
}

function generateName(prefix: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(5);
  return prefix + [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

function methodNotAllowed(): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

function notFoundFor(req: ResourceRequest): ApiError {
  return fromStoreError(new StoreError('NotFound', ''), refOf(req));
}

/** Routes one request on a resource to its verb; every verb follows the API server's rules for CRs. */
export function handleResource(ctx: HandlerContext, req: ResourceRequest, res: ServerResponse): JsonReply {
  if (req.subresource !== undefined && (req.subresource !== 'status' || !req.def.status)) {
    throw new ApiError(
      404,
      'NotFound',
      `the server could not find the requested resource (${req.subresource})`,
    );
  }
  if (WRITE_METHODS.has(req.method) && ctx.faults.shouldConflict()) {
    throw conflict(refOf(req), 'injected conflict (sim.flinkops.io API fault)');
  }
  if (req.name === undefined) {
    if (req.method === 'GET') return listOrWatch(ctx, req, res);
    if (req.method === 'POST' && req.namespace !== undefined)
      return create(ctx, req, asObject(req, parseBody(req)));
    throw methodNotAllowed();
  }
  switch (req.method) {
    case 'GET':
      return getOne(ctx, req);
    case 'PUT':
      return update(ctx, req);
    case 'PATCH':
      return patch(ctx, req);
    case 'DELETE':
      if (req.subresource === undefined) return remove(ctx, req);
  }
  throw methodNotAllowed();
}

function listOrWatch(ctx: HandlerContext, req: ResourceRequest, res: ServerResponse): JsonReply {
  const watch = req.query.get('watch');
  if (watch !== 'true' && watch !== '1') {
    return { code: 200, body: render(req, listOf(ctx, req), String(ctx.store.resourceVersion)) };
  }
  const timeout = req.query.get('timeoutSeconds');
  serveWatch(res, {
    store: ctx.store,
    def: req.def,
    namespace: req.namespace,
    labels: parseLabelSelector(req.query.get('labelSelector')),
    labelSelected: Boolean(req.query.get('labelSelector')),
    fields: parseFieldSelector(req.query.get('fieldSelector'), req.def.resource),
    resourceVersion: req.query.get('resourceVersion') ?? undefined,
    // 0 or absent means the server default, as on a real API server
    timeoutSeconds: timeout !== null && Number(timeout) > 0 ? Number(timeout) : undefined,
    allowBookmarks: req.query.get('allowWatchBookmarks') === 'true',
    table: wantsTable(req.headers.accept),
    includeObject: req.query.get('includeObject'),
    drop: ctx.faults.shouldDropWatch(),
    bookmarkIntervalMs: ctx.bookmarkIntervalMs,
  });
  ctx.onWatchStart?.(res);
  return 'streaming';
}

/** POST, and server-side apply of an object that does not exist yet. */
function create(ctx: HandlerContext, req: ResourceRequest, object: KubeObject): JsonReply {
  const { def } = req;
  const meta = object.metadata;
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
    meta.name = generateName(meta.generateName);
  }
  for (const field of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp']) {
    delete meta[field];
  }
  if (def.status) delete object.status; // with a status subresource, create ignores the status
  const warnings = prune(req, object);
  validateObject(def, object);
  if (req.query.has('dryRun')) {
    if (ctx.store.get(def.resource, req.namespace!, meta.name)) {
      throw fromStoreError(new StoreError('AlreadyExists', ''), refOf(req, meta.name));
    }
    return { code: 201, body: object, warnings };
  }
  return {
    code: 201,
    body: mapStoreErrors(req, meta.name, () => ctx.store.create(def.resource, object)),
    warnings,
  };
}

function getOne(ctx: HandlerContext, req: ResourceRequest): JsonReply {
  const object = ctx.store.get(req.def.resource, req.namespace!, req.name!);
  if (!object) throw notFoundFor(req);
  return { code: 200, body: render(req, object, object.metadata.resourceVersion ?? '') };
}

/** Validates and stores the new state of an existing object, through the status subresource or not. */
function replace(
  ctx: HandlerContext,
  req: ResourceRequest,
  current: KubeObject,
  next: KubeObject,
): JsonReply {
  const isStatus = req.subresource === 'status';
  const warnings = prune(req, next);
  validateObject(
    req.def,
    isStatus ? { ...current, status: next.status } : { ...next, status: current.status },
  );
  if (req.query.has('dryRun')) return { code: 200, body: next, warnings };
  return {
    code: 200,
    warnings,
    body: mapStoreErrors(req, req.name, () =>
      ctx.store.replace(req.def.resource, next, isStatus ? { subresource: 'status' } : {}),
    ),
  };
}

function update(ctx: HandlerContext, req: ResourceRequest): JsonReply {
  const name = req.name!;
  const object = asObject(req, parseBody(req));
  if (object.metadata.name !== undefined && object.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  object.metadata.name = name;
  if (!object.metadata.resourceVersion) {
    // custom resources never allow unconditional updates
    throw invalid(refOf(req), [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0x0: must be specified for an update',
        field: 'metadata.resourceVersion',
      },
    ]);
  }
  const current = ctx.store.get(req.def.resource, req.namespace!, name);
  if (!current) throw notFoundFor(req);
  return replace(ctx, req, current, object);
}

function patch(ctx: HandlerContext, req: ResourceRequest): JsonReply {
  const type = patchTypeOf(req.headers['content-type']);
  const current = ctx.store.get(req.def.resource, req.namespace!, req.name!);
  if (!current) {
    if (type !== 'apply' || req.subresource !== undefined) throw notFoundFor(req);
    // server-side apply of a new object is a create
    const object = asObject(
      req,
      applyPatch('apply', { metadata: {} } as KubeObject, req.body) as Record<string, unknown>,
    );
    object.metadata.name = req.name!;
    return create(ctx, req, object);
  }
  const patched = applyPatch(type, current, req.body);
  patched.metadata = { ...(patched.metadata ?? {}), name: req.name!, namespace: req.namespace! };
  patched.apiVersion = current.apiVersion;
  patched.kind = current.kind;
  return replace(ctx, req, current, patched);
}

function remove(ctx: HandlerContext, req: ResourceRequest): JsonReply {
  const { def } = req;
  const current = ctx.store.get(def.resource, req.namespace!, req.name!);
  if (!current) throw notFoundFor(req);
  if (req.body.trim()) {
    const options = parseBody(req) as { preconditions?: { uid?: string; resourceVersion?: string } };
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        refOf(req),
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        refOf(req),
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
  }
  if (req.query.has('dryRun')) return { code: 200, body: current };
  return {
    code: 200,
    body: mapStoreErrors(req, req.name, () => ctx.store.delete(def.resource, req.namespace!, req.name!)),
  };
}
