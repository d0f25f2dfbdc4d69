// The manifests that deploy flinkops itself and the example FlinkDeployments: every file parses, the
// examples pass the CRD schema and kubectl's client-side dry run against the embedded API, and the
// deployment keeps its promises (least privilege, non-root, AOF Redis, split roles).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { validateFlinkDeployment } from '../../src/manifests/crd-validator.ts';
import { type EmbeddedCluster, startEmbeddedCluster } from '../../src/sim/cluster.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const root = new URL('../../manifests/', import.meta.url).pathname;
const files = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(root, dir, f));

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};
const docsOf = (file: string): Doc[] => {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  if (!Array.isArray(docs)) return [];
  return docs.map((d) => {
    assert.deepEqual(d.errors, [], `${file} parses`);
    return d.toJS() as Doc;
  });
};
const deployDocs = () => files('deploy').flatMap(docsOf);

let sim: EmbeddedCluster;
const tmp = makeTempDir();
before(async () => {
  sim = await startEmbeddedCluster({ port: 0, simulator: false, kubeconfigOut: join(tmp.dir, 'kubeconfig') });
});
after(async () => {
  await sim.stop();
  tmp.cleanup();
});

test('every manifest parses and names its apiVersion, kind and name', () => {
  const all = [...files('deploy'), ...files('examples')];
  assert.ok(all.length >= 8);
  for (const file of all) {
    for (const doc of docsOf(file)) {
      assert.ok(
        doc.apiVersion && doc.kind && doc.metadata?.name,
        `${file}: ${JSON.stringify(doc).slice(0, 80)}`,
      );
    }
  }
});

test('the examples cover each upgrade mode and pass the CRD schema', async () => {
  const modes = new Set<string>();
  for (const file of files('examples')) {
    for (const doc of docsOf(file)) {
      assert.equal(doc.kind, 'FlinkDeployment');
      assert.deepEqual(await validateFlinkDeployment(doc), [], file);
      modes.add((doc as unknown as { spec: { job: { upgradeMode: string } } }).spec.job.upgradeMode);
    }
  }
  assert.deepEqual([...modes].sort(), ['last-state', 'savepoint', 'stateless']);
});

test("the examples pass kubectl's client-side dry run against the embedded API", async () => {
  // asynchronously: the embedded API answers from this very process
  const { stdout: out } = await promisify(execFile)(
    'kubectl',
    [
      '--kubeconfig',
      join(tmp.dir, 'kubeconfig'),
      'apply',
      '--dry-run=client',
      '-f',
      join(root, 'examples'),
      '-o',
      'name',
    ],
    { encoding: 'utf8' },
  );
  assert.deepEqual(out.trim().split('\n').sort(), [
    'flinkdeployment.flink.apache.org/clickstream-sessions',
    'flinkdeployment.flink.apache.org/metrics-forwarder',
    'flinkdeployment.flink.apache.org/orders-enricher',
  ]);
});

test('RBAC is least privilege: Flink resources and events only', () => {
  const role = deployDocs().find((d) => d.kind === 'ClusterRole') as Doc & {
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  assert.deepEqual(role.rules, [
    {
      apiGroups: ['flink.apache.org'],
      resources: ['flinkdeployments', 'flinkstatesnapshots'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ]);
});

test('poller and workers run as separate non-root roles; Redis keeps an AOF on a volume', () => {
  const docs = deployDocs();
  const deployments = docs.filter((d) => d.kind === 'Deployment') as (Doc & {
    spec: {
      template: {
        spec: {
          securityContext: { runAsNonRoot: boolean };
          containers: { args: string[]; envFrom: unknown[] }[];
        };
      };
    };
  })[];
  assert.deepEqual(deployments.map((d) => d.spec.template.spec.containers[0].args).sort(), [
    ['run', '--role', 'poller'],
    ['run', '--role', 'worker'],
  ]);
  for (const d of deployments) assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
  const redis = docs.find((d) => d.kind === 'StatefulSet') as Doc & {
    spec: { volumeClaimTemplates: unknown[]; template: { spec: { containers: { args: string[] }[] } } };
  };
  const args = redis.spec.template.spec.containers[0].args.join(' ');
  assert.match(args, /--appendonly yes/);
  assert.match(args, /--maxmemory-policy noeviction/);
  assert.equal(redis.spec.volumeClaimTemplates.length, 1);
  assert.ok(docs.some((d) => d.kind === 'NetworkPolicy'));
  const secret = docs.find((d) => d.kind === 'Secret') as Doc & { stringData: Record<string, string> };
  for (const value of Object.values(secret.stringData))
    assert.equal(value, 'replace-me', 'no real secret is committed');
});

test('the Dockerfile is multi-stage, production-only and non-root', () => {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2);
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /^USER 10001$/m);
});
