// The real kubectl binary against `flinkops sim` (spawned as the CLI runs it): apply, get in every output
// form, short names, patch, wait, get -w and delete with and without a finalizer, unchanged from how it
// talks to a real API server.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { makeTempDir } from '../helpers/tmp.ts';

const KUBECTL = '/usr/bin/kubectl';
const ROOT = new URL('../..', import.meta.url).pathname;
const temp = makeTempDir('flinkops-sim-kubectl-');
const kubeconfig = join(temp.dir, 'kubeconfig');
let sim: ChildProcess;
let url = '';

function kubectl(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: timeoutMs, env: { ...process.env, KUBECONFIG: '' } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const res = await kubectl(args);
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

function manifest(name: string, parallelism: number): string {
  const file = join(temp.dir, `${name}-${parallelism}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name, namespace: 'kubectl', labels: { app: name } },
      spec: {
        image: 'flink:1.20',
        flinkVersion: 'v1_20',
        serviceAccount: 'flink',
        flinkConfiguration: {
          'state.checkpoints.dir': 'file:///flink-data/checkpoints',
          'state.savepoints.dir': 'file:///flink-data/savepoints',
        },
        jobManager: { resource: { memory: '2048m', cpu: 1 } },
        taskManager: { resource: { memory: '2048m', cpu: 1 } },
        job: {
          jarURI: 'local:///opt/flink/examples/streaming/StateMachineExample.jar',
          parallelism,
          upgradeMode: 'savepoint',
          state: 'running',
        },
      },
    }),
  );
  return file;
}

before(async () => {
  sim = spawn(
    process.execPath,
    [
      join(ROOT, 'src/bin/flinkops.mjs'),
      'sim',
      '--port',
      '0',
      '--speed',
      '50',
      '--kubeconfig-out',
      kubeconfig,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLINKOPS_LOG_LEVEL: 'warn' },
    },
  );
  sim.stderr?.resume();
  // the URL is the first line of stdout; the CLI may take a while to load on a busy machine
  url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('flinkops sim printed no URL within 120 s')), 120_000);
    sim.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(buffer.slice(0, newline));
      }
    });
    sim.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flinkops sim exited early with ${code}`));
    });
  });
});

after(async () => {
  if (sim && sim.exitCode === null) {
    const exited = once(sim, 'exit');
    sim.kill('SIGTERM');
    await exited;
  }
  temp.cleanup();
});

describe('kubectl against flinkops sim', () => {
  it('prints a loopback URL first and writes a kubeconfig kubectl uses', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const version = JSON.parse(await ok(['version', '-o', 'json']));
    assert.equal(version.serverVersion.major, '1');
    const resources = await ok(['api-resources', '--api-group', 'flink.apache.org']);
    assert.match(
      resources,
      /flinkdeployments\s+flinkdep\s+flink.apache.org\/v1beta1\s+true\s+FlinkDeployment/,
    );
    assert.match(resources, /flinkstatesnapshots\s+flinksnp/);
  });

  it('apply -f creates, then updates the same object', async () => {
    assert.match(
      await ok(['apply', '-f', manifest('wordcount', 2)]),
      /flinkdeployment.flink.apache.org\/wordcount created/,
    );
    assert.match(
      await ok(['apply', '-f', manifest('wordcount', 3)]),
      /flinkdeployment.flink.apache.org\/wordcount configured/,
    );
    const object = JSON.parse(
      await ok(['get', 'flinkdeployment', 'wordcount', '-n', 'kubectl', '-o', 'json']),
    );
    assert.equal(object.spec.job.parallelism, 3);
    assert.equal(object.metadata.generation, 2);
    assert.ok(object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('apply refuses unknown fields (kubectl asks for strict field validation)', async () => {
    const file = join(temp.dir, 'typo.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'flink.apache.org/v1beta1',
        kind: 'FlinkDeployment',
        metadata: { name: 'typo', namespace: 'kubectl' },
        spec: { image: 'flink:1.20', jobb: {} },
      }),
    );
    const res = await kubectl(['apply', '-f', file]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /unknown field "spec.jobb"/);
  });

  it('apply reports schema violations with the field path', async () => {
    const file = join(temp.dir, 'invalid.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'flink.apache.org/v1beta1',
        kind: 'FlinkDeployment',
        metadata: { name: 'invalid', namespace: 'kubectl' },
        spec: { job: { upgradeMode: 'sometimes' } },
      }),
    );
    const res = await kubectl(['apply', '-f', file]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /spec.job.upgradeMode: Unsupported value: "sometimes"/);
  });

  it('wait --for=jsonpath sees the simulated operator make it STABLE', async () => {
    await ok([
      'wait',
      'flinkdep/wordcount',
      '-n',
      'kubectl',
      '--for=jsonpath={.status.lifecycleState}=STABLE',
      '--timeout=90s',
    ]);
  });

  it('get shows the printer columns, also -o wide and by short name, and -o yaml', async () => {
    const table = await ok(['get', 'flinkdeployments', '-n', 'kubectl']);
    assert.match(table, /NAME\s+JOB STATUS\s+LIFECYCLE STATE\s+AGE/);
    assert.match(table, /wordcount\s+RUNNING\s+STABLE\s+\d+s/);
    const wide = await ok(['get', 'flinkdep', '-n', 'kubectl', '-o', 'wide']);
    assert.match(wide, /wordcount\s+RUNNING\s+STABLE/);
    const yamlOut = await ok(['get', 'flinkdep', 'wordcount', '-n', 'kubectl', '-o', 'yaml']);
    assert.match(yamlOut, /kind: FlinkDeployment/);
    assert.match(yamlOut, /lifecycleState: STABLE/);
    const events = await ok(['get', 'events', '-n', 'kubectl']);
    assert.match(events, /LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    assert.match(events, /Normal\s+\w+\s+flinkdeployment\/wordcount/);
    const all = await ok(['get', 'flinkdep', '-A', '-l', 'app=wordcount', '-o', 'name']);
    assert.equal(all.trim(), 'flinkdeployment.flink.apache.org/wordcount');
  });

  it('patch --type merge and --type json', async () => {
    await ok([
      'patch',
      'flinkdep',
      'wordcount',
      '-n',
      'kubectl',
      '--type',
      'merge',
      '-p',
      '{"spec":{"job":{"parallelism":4}}}',
    ]);
    assert.equal(
      await ok(['get', 'flinkdep', 'wordcount', '-n', 'kubectl', '-o', 'jsonpath={.spec.job.parallelism}']),
      '4',
    );
    await ok([
      'patch',
      'flinkdep',
      'wordcount',
      '-n',
      'kubectl',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/job/parallelism","value":5}]',
    ]);
    assert.equal(
      await ok(['get', 'flinkdep', 'wordcount', '-n', 'kubectl', '-o', 'jsonpath={.spec.job.parallelism}']),
      '5',
    );
    const strategic = await kubectl([
      'patch',
      'flinkdep',
      'wordcount',
      '-n',
      'kubectl',
      '-p',
      '{"spec":{"job":{"parallelism":6}}}',
    ]);
    assert.notEqual(strategic.code, 0);
    assert.match(strategic.stderr, /strategic-merge-patch\+json is not supported/);
  });

  it('get -w streams changes', async () => {
    const watcher = spawn(
      KUBECTL,
      ['--kubeconfig', kubeconfig, 'get', 'flinkdep', '-n', 'kubectl', '-w', '--output-watch-events'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KUBECONFIG: '' },
      },
    );
    try {
      const lines: string[] = [];
      const sawModified = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no MODIFIED line from kubectl get -w; got ${JSON.stringify(lines)}`)),
          60_000,
        );
        let buffer = '';
        watcher.stdout?.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const parts = buffer.split('\n');
          buffer = parts.pop() ?? '';
          lines.push(...parts);
          if (lines.some((l) => /^MODIFIED\s+wordcount/.test(l))) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // the first line is the initial state; a label change afterwards must show up as MODIFIED
      await new Promise((resolve) => setTimeout(resolve, 500));
      await ok(['label', 'flinkdep', 'wordcount', '-n', 'kubectl', 'watched=yes']);
      await sawModified;
      assert.match(lines[0], /EVENT\s+NAME\s+JOB STATUS\s+LIFECYCLE STATE\s+AGE/);
    } finally {
      watcher.kill('SIGTERM');
    }
  });

  it('delete waits while a finalizer holds the object, with deletionTimestamp set', async () => {
    await ok(['apply', '-f', manifest('held', 1)]);
    // keep whatever finalizers are there (the simulated operator adds its own) and add one of ours
    const current = JSON.parse(await ok(['get', 'flinkdep', 'held', '-n', 'kubectl', '-o', 'json']));
    const finalizers = [...(current.metadata.finalizers ?? []), 'test.flinkops.io/hold'];
    await ok([
      'patch',
      'flinkdep',
      'held',
      '-n',
      'kubectl',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ metadata: { finalizers } }),
    ]);
    await ok(['delete', 'flinkdep', 'held', '-n', 'kubectl', '--wait=false']);
    const held = JSON.parse(await ok(['get', 'flinkdep', 'held', '-n', 'kubectl', '-o', 'json']));
    assert.ok(held.metadata.deletionTimestamp, 'deletionTimestamp is set while the finalizer remains');
    assert.ok(held.metadata.finalizers.includes('test.flinkops.io/hold'));
    await ok([
      'patch',
      'flinkdep',
      'held',
      '-n',
      'kubectl',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    const gone = await kubectl(['get', 'flinkdep', 'held', '-n', 'kubectl']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
  });

  it('delete -f removes the object once the simulated operator has cleaned up', async () => {
    assert.match(
      await ok(['delete', '-f', manifest('wordcount', 5), '--timeout=90s']),
      /flinkdeployment.flink.apache.org "wordcount" deleted/,
    );
    const gone = await kubectl(['get', 'flinkdep', 'wordcount', '-n', 'kubectl']);
    assert.match(gone.stderr, /not found/);
  });

  it('create namespace, then delete it with the deployment in it (the operator cleans up first)', async () => {
    assert.match(await ok(['create', 'namespace', 'team-ns']), /namespace\/team-ns created/);
    assert.match(await ok(['get', 'ns']), /^team-ns\s+\d+s$/m);
    const again = await kubectl(['create', 'namespace', 'team-ns']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /AlreadyExists.*namespaces "team-ns" already exists/);
    const bad = await kubectl(['create', 'namespace', 'Team_NS']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /RFC 1123/);
    const file = join(temp.dir, 'in-team-ns.yaml');
    writeFileSync(
      file,
      readFileSync(manifest('inns', 1), 'utf8').replace('namespace: kubectl', 'namespace: team-ns'),
    );
    await ok(['apply', '-f', file]);
    await ok([
      'wait',
      '-n',
      'team-ns',
      'flinkdep/inns',
      '--for=jsonpath={.status.lifecycleState}=STABLE',
      '--timeout=60s',
    ]);
    assert.match(
      await ok(['delete', 'namespace', 'team-ns', '--timeout=90s']),
      /namespace "team-ns" deleted/,
    );
    const gone = await kubectl(['get', 'ns', 'team-ns']);
    assert.match(gone.stderr, /namespaces "team-ns" not found/);
    assert.match((await kubectl(['get', 'flinkdep', '-n', 'team-ns'])).stderr, /No resources found/);
    const keep = await kubectl(['delete', 'namespace', 'default']);
    assert.match(keep.stderr, /Forbidden.*may not be deleted/);
  });
});
