// Turns whatever @kubernetes/client-node throws (ApiException with the server's Status body, node-fetch
// network errors, our own request timeouts) into a typed ClusterError that names the object and keeps
// the API server's own message, so a person reading a failed job knows what to fix.
import { ApiException } from '@kubernetes/client-node';
import { ClusterError, type ClusterErrorCause, type ClusterErrorKind } from './types.ts';

/** The Kubernetes Status object an API server returns with every error. */
interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { field?: string; message?: string; reason?: string }[];
  };
}

export interface ErrorContext {
  /** what was being done, e.g. "patch FlinkDeployment" */
  operation: string;
  namespace?: string;
  name?: string;
}

export function parseStatusBody(body: unknown): KubeStatus | undefined {
  if (body === undefined || body === null) return undefined;
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.trim() || undefined };
    }
  } else if (body instanceof Uint8Array) {
    return parseStatusBody(Buffer.from(body).toString('utf8'));
  }
  return value && typeof value === 'object' ? (value as KubeStatus) : undefined;
}

function kindForStatus(code: number, reason: string | undefined): ClusterErrorKind {
  if (code === 404 || reason === 'NotFound') return 'NotFound';
  if (reason === 'AlreadyExists') return 'AlreadyExists';
  if (code === 409) return 'Conflict';
  if (code === 401 || code === 403) return 'Forbidden';
  if (code === 408 || code === 429 || code >= 500) return 'Unavailable';
  if (code === 504 || reason === 'Timeout') return 'Unavailable';
  // 400 BadRequest, 415 UnsupportedMediaType, 422 Invalid: the request itself is wrong; retrying cannot help.
  return 'Invalid';
}

function describeTarget(ctx: ErrorContext): string {
  if (ctx.namespace && ctx.name) return ` ${ctx.namespace}/${ctx.name}`;
  if (ctx.namespace) return ` in namespace ${ctx.namespace}`;
  return '';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function isNetworkError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; type?: string; name?: string; errno?: string };
  if (e.name === 'FetchError' || e.type === 'system') return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.errno && NETWORK_CODES.has(e.errno)) return true;
  return false;
}

/** Maps any error from a client-node call to a ClusterError (ClusterErrors pass through unchanged). */
export function toClusterError(err: unknown, ctx: ErrorContext): ClusterError {
  if (err instanceof ClusterError) return err;
  const target = describeTarget(ctx);
  const base = { namespace: ctx.namespace, name: ctx.name, cause: err };
  if (err instanceof ApiException) {
    const code = Number(err.code);
    const status = parseStatusBody(err.body);
    const reason = status?.reason;
    const kind = kindForStatus(code, reason);
    const causes: ClusterErrorCause[] | undefined = status?.details?.causes?.map((c) => ({
      field: c.field,
      message: c.message,
      reason: c.reason,
    }));
    const serverMessage = status?.message ?? (code === 401 ? 'Unauthorized' : `HTTP ${code}`);
    const fieldText =
      causes && causes.length > 0 && !causes.every((c) => c.field && serverMessage.includes(c.field))
        ? ` (${causes.map((c) => [c.field, c.message].filter(Boolean).join(': ')).join('; ')})`
        : '';
    return new ClusterError(kind, `${ctx.operation}${target} failed: ${serverMessage}${fieldText}`, {
      ...base,
      status: code,
      reason: reason ?? kind,
      causes,
    });
  }
  if (isNetworkError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new ClusterError(
      'Unavailable',
      `${ctx.operation}${target} failed: API server unreachable: ${message}`,
      {
        ...base,
        reason: 'Unavailable',
      },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/skipTLSVerify/.test(message)) {
    // client-node refuses plain http:// servers unless the kubeconfig cluster says insecure-skip-tls-verify: true.
    return new ClusterError(
      'Invalid',
      `${ctx.operation}${target} failed: ${message} (set insecure-skip-tls-verify: true on the kubeconfig cluster for an http:// server)`,
      { ...base, reason: 'BadConfig' },
    );
  }
  // Anything else (a malformed response, a bug in the HTTP stack) is reported as Unavailable: the call did
  // not reach a decision on the server that we could see.
  return new ClusterError('Unavailable', `${ctx.operation}${target} failed: ${message}`, {
    ...base,
    reason: 'Unknown',
  });
}
