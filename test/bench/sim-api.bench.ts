// How many FlinkDeployments the embedded API holds with a watch open (issue 3), at 1,000 and 10,000 objects:
//  - create latency (POST over keep-alive HTTP, schema validation included), p50/p95;
//  - watch-event latency: from sending the create to receiving its ADDED event on an open watch, p50/p95;
//  - list latency of the whole namespace, median of a few runs;
//  - RSS of this process (client and server share it) after each size.
// Baseline measured in the same run: a bare node:http JSON echo round trip of the same body over the same
// kind of connection; the ratios say how much the API adds on top of HTTP itself.
// The operator simulator is off: this measures the API and the store, not the reconcile loop.
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { startEmbeddedCluster } from '../../src/sim/cluster.ts';

const SIZES = [1_000, 10_000];
const LIST_RUNS = 5;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function body(i: number, namespace: string): string {
  const name = `job-${String(i).padStart(5, '0')}`;
  return JSON.stringify({
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name } },
    spec: {
      image: 'flink:1.20',
      flinkVersion: 'v1_20',
      serviceAccount: 'flink',
      flinkConfiguration: {
        'taskmanager.numberOfTaskSlots': '2',
        'state.savepoints.dir': `s3://flink/savepoints/${name}`,
        'state.checkpoints.dir': `s3://flink/checkpoints/${name}`,
      },
      jobManager: { resource: { memory: '2048m', cpu: 1 } },
      taskManager: { resource: { memory: '2048m', cpu: 1 } },
      job: {
        jarURI: `local:///opt/flink/usrlib/${name}.jar`,
        parallelism: 1 + (i % 8),
        upgradeMode: 'savepoint',
        state: 'running',
      },
    },
  });
}

function send(url: string, method: string, payload?: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: payload
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (v: number) => `${v.toFixed(3)} ms`;
const mb = (v: number) => `${(v / 1024 / 1024).toFixed(0)} MB`;

async function baselineEcho(samples: number): Promise<number[]> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const echoed = JSON.stringify(JSON.parse(text));
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(echoed) });
      res.end(echoed);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const payload = body(i, 'baseline');
    const started = performance.now();
    await send(url, 'POST', payload);
    out.push(performance.now() - started);
  }
  server.close();
  server.closeAllConnections();
  return out;
}

async function measure(count: number) {
  const cluster = await startEmbeddedCluster({ simulator: false });
  const namespace = `bench-${count}`;
  const base = `${cluster.url}/apis/flink.apache.org/v1beta1/namespaces/${namespace}/flinkdeployments`;
  const sentAt = new Map<string, number>();
  const watchLatency: number[] = [];
  let pending: (() => void) | null = null;
  let waitingFor = '';
  const watch = request(`${base}?watch=true&resourceVersion=${cluster.store.resourceVersion}`, (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const event = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        const name = event.object.metadata.name as string;
        const started = sentAt.get(name);
        if (event.type === 'ADDED' && started !== undefined) watchLatency.push(performance.now() - started);
        if (name === waitingFor && pending) {
          pending();
          pending = null;
        }
        nl = buffer.indexOf('\n');
      }
    });
  });
  watch.on('error', () => {});
  watch.end();
  await new Promise((resolve) => setTimeout(resolve, 100));

  const createLatency: number[] = [];
  for (let i = 0; i < count; i++) {
    const payload = body(i, namespace);
    const name = `job-${String(i).padStart(5, '0')}`;
    const arrived = new Promise<void>((resolve) => {
      waitingFor = name;
      pending = resolve;
    });
    const started = performance.now();
    sentAt.set(name, started);
    const res = await send(base, 'POST', payload);
    createLatency.push(performance.now() - started);
    if (res.status !== 201) throw new Error(`create ${name} answered ${res.status}`);
    await Promise.race([
      arrived,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no watch event for ${name}`)), 30_000)),
    ]);
  }

  const listLatency: number[] = [];
  let listBytes = 0;
  for (let i = 0; i < LIST_RUNS; i++) {
    const started = performance.now();
    const res = await send(base, 'GET');
    listLatency.push(performance.now() - started);
    listBytes = res.bytes;
  }
  global.gc?.();
  const rss = process.memoryUsage().rss;
  watch.destroy();
  await cluster.stop();
  return { createLatency, watchLatency, listLatency, listBytes, rss };
}

console.log(
  `sim-api bench: ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const baseline = await baselineEcho(2_000);
const baseP50 = quantile(baseline, 0.5);
console.log(
  `baseline node:http JSON echo round trip (same body, keep-alive): p50 ${ms(baseP50)}, p95 ${ms(quantile(baseline, 0.95))}`,
);
for (const count of SIZES) {
  const r = await measure(count);
  const createP50 = quantile(r.createLatency, 0.5);
  const watchP50 = quantile(r.watchLatency, 0.5);
  console.log(
    `\n${count.toLocaleString('en')} FlinkDeployments, one watch open (events received: ${r.watchLatency.length}):`,
  );
  console.log(
    `  create latency      p50 ${ms(createP50)}  p95 ${ms(quantile(r.createLatency, 0.95))}  (ratio to baseline p50: ${(createP50 / baseP50).toFixed(1)}x)`,
  );
  console.log(
    `  watch-event latency p50 ${ms(watchP50)}  p95 ${ms(quantile(r.watchLatency, 0.95))}  (ratio to baseline p50: ${(watchP50 / baseP50).toFixed(1)}x)`,
  );
  console.log(
    `  list latency        median ${ms(quantile(r.listLatency, 0.5))} for ${(r.listBytes / 1024 / 1024).toFixed(1)} MB  (ratio to baseline p50: ${(quantile(r.listLatency, 0.5) / baseP50).toFixed(0)}x)`,
  );
  console.log(`  RSS after           ${mb(r.rss)}`);
  if (r.watchLatency.length !== count)
    throw new Error(`expected ${count} watch events, got ${r.watchLatency.length}`);
}
agent.destroy();
