// Kubernetes Status objects: every error the embedded API answers looks like a real API server's,
// so clients parse `reason`, `code` and `details.causes` exactly as they would in production.
import { StoreError } from '../store.ts';

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** An error that the HTTP layer turns into a Status response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): KubeStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export interface ResourceRef {
  group: string;
  kind: string; // plural resource name, as the real server puts it in details.kind
  name?: string;
}

const qualified = (ref: ResourceRef) => (ref.group ? `${ref.kind}.${ref.group}` : ref.kind);

export function notFound(ref: ResourceRef): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(ref)} "${ref.name}" not found`, {
    name: ref.name,
    group: ref.group,
    kind: ref.kind,
  });
}

export function alreadyExists(ref: ResourceRef): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(ref)} "${ref.name}" already exists`, {
    name: ref.name,
    group: ref.group,
    kind: ref.kind,
  });
}

export function conflict(
  ref: ResourceRef,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(ref)} "${ref.name}": ${why}`,
    {
      name: ref.name,
      group: ref.group,
      kind: ref.kind,
    },
  );
}

export function invalid(ref: ResourceRef & { objectKind: string }, causes: StatusCause[]): ApiError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new ApiError(
    422,
    'Invalid',
    `${ref.objectKind}.${ref.group} "${ref.name}" is invalid: [${summary}]`,
    {
      name: ref.name,
      group: ref.group,
      kind: ref.objectKind,
      causes,
    },
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** Maps the store's typed errors onto the statuses a real API server would send. */
export function fromStoreError(err: StoreError, ref: ResourceRef & { objectKind: string }): ApiError {
  switch (err.kind) {
    case 'NotFound':
      return notFound(ref);
    case 'AlreadyExists':
      return alreadyExists(ref);
    case 'Conflict':
      return conflict(ref);
    case 'Gone':
      return gone(err.message);
    case 'Invalid':
      return invalid(ref, [{ reason: 'FieldValueInvalid', message: err.message }]);
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
