// The planner's rule table as data: one YAML file per rule in test/fixtures/plan-cases (before, after,
// context, expected change/steps/safety/warnings). Adding a rule is adding a file.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before as beforeAll, describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadValidator, validateFlinkDeployment } from '../../src/manifests/crd-validator.ts';
import type { FlinkDeployment } from '../../src/manifests/types.ts';
import { planTransition } from '../../src/plan/plan-transition.ts';
import { type LedgerSavepoint, type PlanContext, STEP_ACTIONS } from '../../src/plan/types.ts';
import { WARNING_CODES } from '../../src/plan/warnings.ts';

const dir = new URL('../fixtures/plan-cases/', import.meta.url).pathname;

interface PlanCase {
  before: FlinkDeployment | null;
  after: FlinkDeployment | null;
  context?: { approvedDeletes?: string[]; ledger?: Record<string, LedgerSavepoint>; live?: boolean };
  expect: null | {
    change: string;
    steps: string[];
    safety: string;
    warnings: string[];
    diff?: unknown[];
  };
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function contextOf(c: PlanCase): PlanContext {
  return {
    approvedDeletes: new Set(c.context?.approvedDeletes ?? []),
    ledger: new Map(Object.entries(c.context?.ledger ?? {})),
    live: c.context?.live ?? false,
  };
}

describe('plan rule table (test/fixtures/plan-cases)', () => {
  beforeAll(async () => {
    await loadValidator();
  });

  test('has at least 30 cases', () => {
    assert.ok(files.length >= 30, `only ${files.length} cases`);
  });

  for (const file of files) {
    const name = file.replace(/\.yaml$/, '');
    test(name, async () => {
      const c = parse(readFileSync(join(dir, file), 'utf8')) as PlanCase;
      // the fixtures are real manifests: they must pass the CRD schema like any manifest from git
      for (const manifest of [c.before, c.after]) {
        if (manifest)
          assert.deepEqual(await validateFlinkDeployment(manifest), [], `${file}: fixture violates the CRD`);
      }
      const ref = (c.after ?? c.before)!;
      const transition = planTransition(
        {
          namespace: ref.metadata.namespace ?? 'default',
          name: ref.metadata.name,
          before: c.before,
          after: c.after,
        },
        contextOf(c),
      );
      if (c.expect === null) {
        assert.equal(transition, null, `${file}: expected no transition`);
        return;
      }
      assert.ok(transition, `${file}: expected a transition`);
      assert.equal(transition.change, c.expect.change);
      assert.deepEqual(
        transition.steps.map((s) => s.action),
        c.expect.steps,
      );
      assert.equal(transition.safety, c.expect.safety);
      assert.deepEqual(transition.warnings.map((w) => w.code).sort(), [...c.expect.warnings].sort());
      for (const step of transition.steps) {
        assert.ok(STEP_ACTIONS.includes(step.action));
        assert.ok(step.reason.length > 10, `step ${step.action} needs a human reason`);
      }
      for (const w of transition.warnings) {
        assert.ok(w.code in WARNING_CODES, `unknown warning code ${w.code}`);
        assert.ok(w.message.length > 10);
      }
      if (c.expect.diff) assert.deepEqual(transition.diff, c.expect.diff);
    });
  }
});

describe('planner purity', () => {
  test('the same input gives the same output and inputs are not mutated', () => {
    const c = parse(readFileSync(join(dir, 'upgrade-savepoint-mode-image-change.yaml'), 'utf8')) as PlanCase;
    const snapshot = JSON.stringify(c);
    const input = { namespace: 'streaming', name: 'orders', before: c.before, after: c.after };
    const first = planTransition(input, contextOf(c));
    const second = planTransition(input, contextOf(c));
    assert.deepEqual(first, second);
    assert.equal(JSON.stringify(c), snapshot);
  });

  const PURE_MANIFEST_MODULES = [
    '../manifests/types.ts',
    '../manifests/flink-config.ts',
    '../manifests/operator-change-classes.ts',
    '../manifests/operator-validation.ts',
    '../manifests/known-spec-fields.ts',
  ];
  test('src/plan imports nothing that does I/O (except the git edge plan-git-range.ts)', () => {
    const planDir = new URL('../../src/plan/', import.meta.url).pathname;
    for (const file of readdirSync(planDir).filter((f) => f.endsWith('.ts') && f !== 'plan-git-range.ts')) {
      const source = readFileSync(join(planDir, file), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports) {
        assert.ok(
          spec.startsWith('./') || spec === 'fast-json-patch' || PURE_MANIFEST_MODULES.includes(spec),
          `${file} imports ${spec}`,
        );
      }
    }
    // the shared operator tables the planner reads from src/manifests import nothing but each other
    for (const spec of PURE_MANIFEST_MODULES) {
      const source = readFileSync(new URL(spec.replace('../', '../../src/'), import.meta.url), 'utf8');
      for (const imported of [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1])) {
        assert.ok(
          PURE_MANIFEST_MODULES.includes(imported.replace('./', '../manifests/')),
          `${spec} imports ${imported}, which is not one of the pure shared modules`,
        );
      }
    }
  });
});
