// The validator's failure mode (section 7), case by case from test/fixtures/sim-cases/validation.yaml:
// ValidationError event, status.error = ValidationException JSON, the new spec not applied, the old job kept.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import type { KubeObject } from '../../src/sim/store.ts';
import {
  create,
  deployment,
  errorOf,
  get,
  HA,
  lastReconciled,
  must,
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
