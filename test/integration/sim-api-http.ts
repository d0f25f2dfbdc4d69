// Small HTTP helpers for the embedded API tests: JSON requests and line-by-line watch streams, over real
// sockets on 127.0.0.1, every wait bounded.
import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  json: any;
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(base + path, {
    method,
    body: payload,
    headers: { ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), text, json };
}

export const FD_PATH = '/apis/flink.apache.org/v1beta1/namespaces';

export function fdPath(namespace: string, name?: string, sub?: string): string {
  return `${FD_PATH}/${namespace}/flinkdeployments${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;
}

export function flinkDeployment(
  name: string,
  extra: { labels?: Record<string, string>; parallelism?: number } = {},
) {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: 'flink',
      jobManager: { resource: { memory: '2048m', cpu: 1 } },
      taskManager: { resource: { memory: '2048m', cpu: 1 } },
      job: {
        jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar',
        parallelism: extra.parallelism ?? 2,
        upgradeMode: 'savepoint',
        state: 'running',
      },
    },
  };
}

/** A watch stream read event by event; close() ends it from the client side. */
export class WatchStream {
  // biome-ignore lint/suspicious/noExplicitAny: watch events are arbitrary JSON
  readonly events: any[] = [];
  ended = false;
  status = 0;
  private buffer = '';
  private waiters: (() => void)[] = [];
  private readonly req: ReturnType<typeof httpRequest>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.req = httpRequest(url, { headers }, (res) => {
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.buffer += chunk;
        let index = this.buffer.indexOf('\n');
        while (index >= 0) {
          const line = this.buffer.slice(0, index).trim();
          this.buffer = this.buffer.slice(index + 1);
          if (line) this.events.push(JSON.parse(line));
          index = this.buffer.indexOf('\n');
        }
        this.notify();
      });
      const done = () => {
        this.ended = true;
        this.notify();
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    this.req.on('error', () => {
      this.ended = true;
      this.notify();
    });
    this.req.end();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `count` events arrived (or throws after timeoutMs, or when the stream ended short). */
  async waitForEvents(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (this.ended) throw new Error(`watch ended after ${this.events.length} of ${count} events`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${count} watch events, got ${this.events.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForEnd(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the watch to end');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}
