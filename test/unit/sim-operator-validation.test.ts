// The validator's failure mode (section 7), case by case from test/fixtures/sim-cases/validation.yaml:
// ValidationError event, status.error = ValidationException JSON, the new spec not applied, the old job kept.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { SimClock } from '../../src/sim/operator/clock.ts';
import { FINALIZER, type PassContext, type StoredDeployment } from '../../src/sim/operator/context.ts';
import { EventRecorder } from '../../src/sim/operator/events.ts';
import { readFaults } from '../../src/sim/operator/faults.ts';
import { reconcilePass } from '../../src/sim/operator/reconcile.ts';
import { type ClusterRuntime, newRuntime } from '../../src/sim/operator/runtime.ts';
import { initialStatus } from '../../src/sim/operator/status.ts';
import { SnapshotStorage } from '../../src/sim/operator/storage.ts';
import { type KubeObject, ObjectStore } from '../../src/sim/store.ts';
import {
  create,
  deployment,
  errorOf,
  eventReasons,
  get,
  HA,
  lastReconciled,
  must,
  NS,
  type SimHarness,
  startSim,
  update,
  waitFor,
  waitSettled,
} from './sim-operator-harness.ts';

interface ValidationCase {
  rule: string;
  when: 'create' | 'update' | 'suspended-update';
  suspendMode?: 'last-state' | 'savepoint';
  patch: Record<string, unknown>;
  message: string;
}

const cases = parse(
  readFileSync(new URL('../fixtures/sim-cases/validation.yaml', import.meta.url), 'utf8'),
) as ValidationCase[];

/** RFC 7396 */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

const h: SimHarness = startSim(200);
after(() => h.close());

describe('validation failures (DefaultValidator)', () => {
  cases.forEach((c, index) => {
    const name = `invalid-${index}`;
    test(`${c.rule} (${c.when})`, async () => {
      const base = deployment(
        name,
        c.suspendMode === 'last-state' ? { upgradeMode: 'last-state', config: HA } : {},
      );
      if (c.when === 'create') {
        create(h, mergePatch(base, c.patch) as KubeObject);
        const fd = await waitFor(`${name} FAILED`, () => {
          const current = get(h, name);
          return current?.status?.lifecycleState === 'FAILED' ? current : undefined;
        });
        const error = errorOf(fd)!;
        assert.equal(error.type, 'org.apache.flink.kubernetes.operator.exception.ValidationException');
        assert.ok(error.message.includes(c.message), error.message);
        assert.equal(fd.status?.reconciliationStatus?.lastReconciledSpec, undefined, 'never deployed');
        assert.equal(h.sim.getJob(fd.metadata.namespace!, name)?.running ?? false, false);
      } else {
        create(h, base);
        await waitSettled(h, name, 'STABLE');
        if (c.when === 'suspended-update') {
          update(h, name, (fd) => {
            fd.spec.job!.state = 'suspended';
          });
          await waitSettled(h, name, 'SUSPENDED');
        }
        const before = must(h, name);
        const patched = update(h, name, (fd) => {
          const next = mergePatch(fd, c.patch) as typeof fd;
          fd.spec = next.spec;
        });
        const fd = await waitFor(`${name} validation error`, () => {
          const current = get(h, name);
          return errorOf(current)?.message.includes(c.message) ? current : undefined;
        });
        assert.equal(errorOf(fd)?.type, 'org.apache.flink.kubernetes.operator.exception.ValidationException');
        assert.notEqual(
          fd.status?.observedGeneration,
          patched.metadata.generation,
          'observedGeneration lags',
        );
        assert.equal(
          fd.status?.reconciliationStatus?.lastReconciledSpec,
          before.status?.reconciliationStatus?.lastReconciledSpec,
          'the invalid spec is not applied',
        );
        assert.equal(fd.status?.jobStatus?.jobId, before.status?.jobStatus?.jobId, 'the old job is kept');
        assert.equal(fd.status?.lifecycleState, before.status?.lifecycleState);
      }
      assert.ok(
        h.store
          .list('events')
          .some(
            (e) => (e.involvedObject as { name: string }).name === name && e.reason === 'ValidationError',
          ),
      );
    });
  });

  test('fixing the spec clears status.error and applies it', async () => {
    create(h, deployment('fixed'));
    await waitSettled(h, 'fixed', 'STABLE');
    update(h, 'fixed', (fd) => {
      fd.spec.flinkConfiguration!['kubernetes.cluster-id'] = 'x';
      fd.spec.image = 'flink:1.20.5';
    });
    await waitFor('fixed error', () => errorOf(get(h, 'fixed')));
    update(h, 'fixed', (fd) => {
      delete fd.spec.flinkConfiguration!['kubernetes.cluster-id'];
    });
    const fd = await waitSettled(h, 'fixed', 'STABLE');
    assert.equal(lastReconciled(fd).spec.image, 'flink:1.20.5');
  });

  test('an invalid edit caught in the middle of an upgrade finishes the upgrade back to running with the last valid spec', async () => {
    create(h, deployment('midway', { annotations: { 'sim.flinkops.io/savepoint': 'hang' } }));
    await waitSettled(h, 'midway', 'STABLE');
    update(h, 'midway', (fd) => {
      fd.spec.image = 'flink:1.20.6';
    });
    await h.sim.reconcileNow();
    update(h, 'midway', (fd) => {
      fd.spec.job!.parallelism = -1;
      delete fd.metadata.annotations;
    });
    const fd = await waitFor('midway running again', () => {
      const current = get(h, 'midway');
      return current?.status?.jobStatus?.state === 'RUNNING' && errorOf(current) ? current : undefined;
    });
    assert.ok(errorOf(fd)?.message.includes('Job parallelism must be larger than 0'));
    assert.equal(h.sim.getJob(fd.metadata.namespace!, 'midway')?.running, true);
  });
});

describe('a FlinkDeployment without spec (kubectl apply of apiVersion, kind and metadata only)', () => {
  test('is reported like the operator does: ValidationException, ValidationError event, FAILED, no job', async () => {
    h.store.create('flinkdeployments', {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name: 'nospec', namespace: NS },
    });
    const fd = await waitFor(
      'nospec FAILED',
      () => (get(h, 'nospec')?.status?.lifecycleState === 'FAILED' ? get(h, 'nospec') : undefined),
      5_000,
    );
    const error = errorOf(fd)!;
    assert.equal(error.type, 'org.apache.flink.kubernetes.operator.exception.ValidationException');
    assert.equal(error.message, 'Flink Version must be defined.');
    assert.equal(fd.status?.reconciliationStatus?.lastReconciledSpec, undefined, 'never deployed');
    assert.equal(fd.status?.observedGeneration, undefined);
    assert.ok(eventReasons(h, 'nospec').includes('ValidationError'));
    assert.equal(h.sim.getJob(NS, 'nospec'), undefined, 'no job was ever simulated');
    assert.equal('spec' in fd, false, "the operator's empty spec is not written back");
    assert.equal(fd.metadata.generation, 1);
    h.store.delete('flinkdeployments', NS, 'nospec');
    await waitFor('nospec gone', () => get(h, 'nospec') === undefined, 5_000);
  });
});

/**
 * reconcilePass driven directly (the simulator catches and logs what a pass throws, which would hide it):
 * every spec shape, on a new CR, on a deployed one and while it is deleted, simulated time moving on by
 * a reconcile interval a step so JobManagers get ready and jobs run.
 */
describe('no spec shape makes a reconcile pass throw', () => {
  const store = new ObjectStore();
  const storage = new SnapshotStorage();
  const events = new EventRecorder(store);
  const clock = new SimClock(1);
  const runtimes = new Map<string, ClusterRuntime>();
  let now = clock.now();

  function pass(name: string): void {
    const object = store.get('flinkdeployments', NS, name);
    if (!object) return;
    now += 15_000;
    let rt = runtimes.get(name);
    if (!rt) {
      rt = newRuntime(NS, name, object.metadata.uid ?? null);
      runtimes.set(name, rt);
    }
    const ctx: PassContext = {
      store,
      storage,
      events,
      clock,
      now,
      fd: object as StoredDeployment,
      status: structuredClone((object.status as PassContext['status'] | undefined) ?? initialStatus()),
      rt,
      faults: readFaults(object.metadata),
      invalid: false,
      gone: false,
    };
    reconcilePass(ctx);
  }
  const passes = (name: string, count = 4) => {
    for (let i = 0; i < count; i++) pass(name);
  };
  const withSpec = (name: string, spec: unknown): KubeObject => {
    const object: KubeObject = {
      apiVersion: 'flink.apache.org/v1beta1',
      kind: 'FlinkDeployment',
      metadata: { name, namespace: NS },
    };
    if (spec !== undefined) object.spec = spec;
    return object;
  };
  const stored = (name: string) => store.get('flinkdeployments', NS, name);
  function deleteAndDrain(name: string): void {
    store.delete('flinkdeployments', NS, name);
    passes(name);
    assert.equal(stored(name), undefined, `${name}: deletion completes`);
  }

  const shapes: [string, unknown][] = [
    ['no spec', undefined],
    ['spec: null', null],
    ['spec: {}', {}],
    ['spec: []', []],
    ['spec: "text"', 'text'],
    ['flinkVersion only (a session cluster)', { flinkVersion: 'v1_20' }],
    ['job: {}', { flinkVersion: 'v1_20', job: {} }],
    ['job: null, flinkConfiguration: null', { flinkVersion: 'v1_20', job: null, flinkConfiguration: null }],
    ['job without jarURI or parallelism', { flinkVersion: 'v1_20', job: { upgradeMode: 'stateless' } }],
    ['savepoint job without any config', { flinkVersion: 'v1_20', job: { upgradeMode: 'savepoint' } }],
    ['suspended job: {state}', { flinkVersion: 'v1_20', job: { state: 'suspended' } }],
    [
      'no jobManager / taskManager, nested config',
      { flinkVersion: 'v1_20', job: {}, flinkConfiguration: { state: { 'savepoints.dir': 's3://b/sp' } } },
    ],
  ];
  shapes.forEach(([what, spec], index) => {
    test(`created with ${what}`, () => {
      const name = `shape-${index}`;
      store.create('flinkdeployments', withSpec(name, spec));
      passes(name);
      const fd = stored(name)!;
      assert.ok(fd.metadata.finalizers?.includes(FINALIZER));
      assert.ok(
        (fd.status as { lifecycleState?: string } | undefined)?.lifecycleState,
        'a status is written',
      );
      deleteAndDrain(name);
    });
  });

  const edits: [string, (object: KubeObject) => void, string | null][] = [
    ['spec removed', (o) => delete o.spec, 'Flink Version must be defined.'],
    [
      'spec: {}',
      (o) => {
        o.spec = {};
      },
      'Flink Version must be defined.',
    ],
    [
      'spec: null',
      (o) => {
        o.spec = null;
      },
      'Flink Version must be defined.',
    ],
    [
      'job removed',
      (o) => delete (o.spec as Record<string, unknown>).job,
      'Cannot switch from job to session cluster',
    ],
    [
      'jobManager and taskManager removed',
      (o) => {
        delete (o.spec as Record<string, unknown>).jobManager;
        delete (o.spec as Record<string, unknown>).taskManager;
      },
      null,
    ],
    [
      'flinkConfiguration removed',
      (o) => delete (o.spec as Record<string, unknown>).flinkConfiguration,
      'Checkpoint directory',
    ],
    [
      'job emptied',
      (o) => {
        (o.spec as Record<string, unknown>).job = {};
      },
      null,
    ],
  ];
  edits.forEach(([what, edit, message], index) => {
    test(`deployed, then ${what}`, () => {
      const name = `edit-${index}`;
      store.create(
        'flinkdeployments',
        deployment(name, { config: { 'kubernetes.operator.job.savepoint-on-deletion': 'true' } }),
      );
      passes(name);
      const running = stored(name)?.status as { jobStatus?: { state?: string } } | undefined;
      assert.equal(running?.jobStatus?.state, 'RUNNING');
      const current = stored(name)!;
      edit(current);
      store.replace('flinkdeployments', current);
      passes(name);
      const error = (stored(name)?.status as { error?: string } | undefined)?.error;
      if (message) assert.ok(error?.includes(message), `${what}: ${error}`);
      deleteAndDrain(name);
    });
  });
});
