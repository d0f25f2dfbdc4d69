// The embedded Kubernetes API server: plain HTTP on loopback, routing the REST paths kubectl and
// @kubernetes/client-node use to discovery, the resource verbs, and the simulator's truth and fault endpoints.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childLogger } from '../../log.ts';
import type { ObjectStore } from '../store.ts';
import type { SimTruth } from '../types.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.ts';
import { FaultInjector } from './faults.ts';
import { handleResource, type JsonReply } from './handlers.ts';
import { Namespaces } from './namespaces.ts';
import { openApiGroupVersion, openApiRoot } from './openapi.ts';
import { findResource, resourceDefs } from './resources.ts';
import { ApiError } from './status.ts';
import { warmValidators } from './validate.ts';

const log = childLogger({ component: 'sim-api' });

/** The API server's default request body limit. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface ApiServerOptions {
  store: ObjectStore;
  /** where the truth endpoints read from; without one they answer 404 / an empty storage */
  truth?: SimTruth;
  host?: string;
  port?: number;
  faults?: FaultInjector;
  /** how often watches with allowWatchBookmarks get a BOOKMARK (default 10 s) */
  bookmarkIntervalMs?: number;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  // RFC 7234 warning headers, as the API server sends them (kubectl prints "Warning: ...")
  if (warnings.length)
    res.setHeader(
      'Warning',
      warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

function notFoundPath(path: string): ApiError {
  return new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`);
}

const NAMESPACED = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;
const CLUSTER_WIDE = /^\/apis\/([^/]+)\/([^/]+)\/([^/]+)$/;
const CORE_NAMESPACED = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;
const CORE_CLUSTER_WIDE = /^\/api\/v1\/([^/]+)$/;
const CORE_NAMESPACE = /^\/api\/v1\/namespaces\/([^/]+)$/;
interface ParsedPath {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** /api/v1/namespaces[/<name>] */
  namespaceOnly?: boolean;
}

function parseResourcePath(path: string): ParsedPath | undefined {
  const decode = (v: string | undefined) => (v === undefined ? undefined : decodeURIComponent(v));
  let m = NAMESPACED.exec(path);
  if (m)
    return {
      group: m[1],
      version: m[2],
      namespace: decode(m[3]),
      plural: m[4],
      name: decode(m[5]),
      subresource: m[6],
    };
  m = CLUSTER_WIDE.exec(path);
  if (m) return { group: m[1], version: m[2], plural: m[3] };
  m = CORE_NAMESPACE.exec(path);
  if (m) return { group: '', version: 'v1', plural: 'namespaces', name: decode(m[1]), namespaceOnly: true };
  m = CORE_NAMESPACED.exec(path);
  if (m)
    return {
      group: '',
      version: 'v1',
      namespace: decode(m[1]),
      plural: m[2],
      name: decode(m[3]),
      subresource: m[4],
    };
  m = CORE_CLUSTER_WIDE.exec(path);
  if (m) return { group: '', version: 'v1', plural: m[1], namespaceOnly: m[1] === 'namespaces' };
  return undefined;
}

const SIM_JOB = /^\/sim\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)$/;

export class EmbeddedApiServer {
  readonly faults: FaultInjector;
  private readonly watches = new Set<ServerResponse>();
  private readonly namespaces: Namespaces;
  private server!: Server;
  private address!: AddressInfo;

  private constructor(private readonly options: ApiServerOptions) {
    this.faults = options.faults ?? new FaultInjector();
    this.namespaces = new Namespaces(options.store);
  }

  static async start(options: ApiServerOptions): Promise<EmbeddedApiServer> {
    const api = new EmbeddedApiServer(options);
    await warmValidators(resourceDefs());
    api.server = createServer((req, res) => {
      api.handle(req, res).catch((err) => {
        log.error({ err, method: req.method, url: req.url }, 'sim api request failed');
        if (!res.headersSent) sendJson(res, 500, new ApiError(500, 'InternalError', String(err)).toStatus());
        else res.destroy();
      });
    });
    api.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        api.server.off('error', reject);
        resolve();
      });
    });
    api.address = api.server.address() as AddressInfo;
    return api;
  }

  get port(): number {
    return this.address.port;
  }

  get url(): string {
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}`;
  }

  /** Stops accepting requests and ends open watches (clients see the stream end, as on a server restart). */
  async close(): Promise<void> {
    for (const res of this.watches) res.destroy();
    this.watches.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw =
      method === 'GET' || method === 'HEAD'
        ? Buffer.alloc(0)
        : await readBody(req).catch((err) => err as ApiError);
    try {
      if (raw instanceof ApiError) throw raw;
      const reply = await this.route(method, url, req, res, raw);
      if (reply !== 'streaming') sendJson(res, reply.code, reply.body, reply.warnings);
      log.debug({ method, path: url.pathname, code: reply === 'streaming' ? 200 : reply.code }, 'sim api');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      log.debug({ method, path: url.pathname, code: err.code, reason: err.reason }, 'sim api error');
      sendJson(res, err.code, err.toStatus());
    }
  }

  private async route(
    method: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
  ): Promise<JsonReply> {
    const body = raw.toString('utf8');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path.startsWith('/sim/')) return this.routeSim(method, path, body);

    if (method === 'GET') {
      switch (path) {
        case '/version':
          return { code: 200, body: SERVER_VERSION };
        case '/healthz':
        case '/livez':
        case '/readyz':
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
          return 'streaming';
        case '/api':
          return { code: 200, body: apiVersions(`${this.address.address}:${this.address.port}`) };
        case '/api/v1':
          return { code: 200, body: apiResourceList('v1') };
        case '/apis':
          return { code: 200, body: apiGroupList() };
        case '/apis/flink.apache.org':
          return { code: 200, body: apiGroup() };
        case '/apis/flink.apache.org/v1beta1':
          return { code: 200, body: apiResourceList('flink.apache.org/v1beta1') };
        case '/openapi/v3':
          return { code: 200, body: openApiRoot() };
      }
      const openApiText = openApiGroupVersion(path);
      if (openApiText !== undefined) {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(openApiText),
        });
        res.end(openApiText);
        return 'streaming';
      }
    }

    const parsed = parseResourcePath(path);
    if (!parsed) throw notFoundPath(path);
    if (parsed.namespaceOnly)
      return this.namespaces.reply(method, parsed.name, {
        body: raw,
        contentType: req.headers['content-type'],
        query: url.searchParams,
        res,
      });
    const { group, version, namespace, plural, name, subresource } = parsed;
    const def = findResource(group, version, plural);
    if (!def) throw notFoundPath(path);
    if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
    if (this.faults.shouldFail()) {
      throw new ApiError(
        500,
        'InternalError',
        'Internal error occurred: injected failure (sim.flinkops.io API fault)',
      );
    }
    return handleResource(
      {
        store: this.options.store,
        faults: this.faults,
        bookmarkIntervalMs: this.options.bookmarkIntervalMs,
        onWatchStart: (stream) => {
          this.watches.add(stream);
          stream.on('close', () => this.watches.delete(stream));
        },
      },
      {
        method,
        def,
        namespace,
        name,
        subresource,
        query: url.searchParams,
        headers: req.headers,
        body,
      },
      res,
    );
  }

  private routeSim(method: string, path: string, body: string): JsonReply {
    if (path === '/sim/v1/faults') {
      if (method === 'GET') return { code: 200, body: this.faults.current };
      if (method === 'POST' || method === 'PUT') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body || '{}');
        } catch (err) {
          throw new ApiError(400, 'BadRequest', `faults must be JSON: ${(err as Error).message}`);
        }
        const faults = this.faults.set(parsed);
        log.info({ faults }, 'sim api faults set');
        return { code: 200, body: faults };
      }
    }
    if (method === 'GET' && path === '/sim/v1/storage') {
      return { code: 200, body: { items: this.options.truth?.listStorage() ?? [] } };
    }
    const job = SIM_JOB.exec(path);
    if (method === 'GET' && job) {
      const [namespace, name] = [decodeURIComponent(job[1]), decodeURIComponent(job[2])];
      const truth = this.options.truth?.getJob(namespace, name);
      if (!truth)
        throw new ApiError(404, 'NotFound', `no simulated job ${namespace}/${name}`, {
          name,
          kind: 'jobs',
          group: 'sim.flinkops.io',
        });
      return { code: 200, body: truth };
    }
    throw notFoundPath(path);
  }
}
