// planRevision pairs deployments by namespace/name and orders transitions; manifestDiff is RFC 6902
// that applies; renderMarkdown gives the PR comment. All pure: built from plain data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import type { FlinkDeployment, ManifestEntry } from '../../src/manifests/types.ts';
import { comparableManifest, manifestDiff } from '../../src/plan/manifest-diff.ts';
import { planRevision } from '../../src/plan/plan-revision.ts';
import { renderMarkdown } from '../../src/plan/render-markdown.ts';
import type { PlanContext } from '../../src/plan/types.ts';

function deployment(namespace: string, name: string, image = 'flink:1.20'): FlinkDeployment {
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace },
    spec: {
      image,
      flinkVersion: 'v1_20',
      flinkConfiguration: { 'state.savepoints.dir': 's3://sp', 'state.checkpoints.dir': 's3://cp' },
      job: { jarURI: 'local:///job.jar', upgradeMode: 'savepoint', args: ['a', 'b'] },
    },
  };
}

function entries(...list: FlinkDeployment[]): Map<string, ManifestEntry> {
  return new Map(
    list.map((m, i) => {
      const namespace = m.metadata.namespace ?? 'default';
      const key = `${namespace}/${m.metadata.name}`;
      return [
        key,
        { namespace, name: m.metadata.name, key, file: `f${i}.yaml`, line: 1, column: 1, manifest: m },
      ];
    }),
  );
}

const ctx: PlanContext = { approvedDeletes: new Set(), ledger: new Map() };

describe('planRevision', () => {
  test('sorts by namespace, then name (not by the joined string)', () => {
    const plan = planRevision(
      {
        base: 'b',
        head: 'h',
        before: { entries: new Map() },
        after: { entries: entries(deployment('a-b', 'x'), deployment('a', 'z'), deployment('a', 'y')) },
      },
      ctx,
    );
    assert.deepEqual(
      plan.transitions.map((t) => `${t.namespace}/${t.name}`),
      ['a/y', 'a/z', 'a-b/x'],
    );
  });

  test('unchanged deployments have no transition; invalid ones at head are skipped', () => {
    const plan = planRevision(
      {
        base: 'b',
        head: 'h',
        before: { entries: entries(deployment('n', 'same'), deployment('n', 'bad')) },
        after: { entries: entries(deployment('n', 'same')), invalidKeys: new Set(['n/bad']) },
        errors: [
          { file: 'z.yaml', line: 3, column: 1, message: 'z' },
          { file: 'a.yaml', line: 9, column: 2, message: 'a' },
        ],
      },
      ctx,
    );
    assert.deepEqual(plan.transitions, []);
    assert.deepEqual(
      plan.errors.map((e) => e.file),
      ['a.yaml', 'z.yaml'],
    );
  });

  test('a deployment invalid at base is planned and says its running spec is unknown (fixed, or removed)', () => {
    const plan = planRevision(
      {
        base: 'b',
        head: 'h',
        before: { entries: new Map(), invalidKeys: new Set(['n/fixed', 'n/removed']) },
        after: { entries: entries(deployment('n', 'fixed')) },
      },
      { ...ctx, approvedDeletes: new Set(['n/removed']) },
    );
    assert.deepEqual(
      plan.transitions.map((t) => [t.name, t.change, t.steps.map((s) => s.action), t.safety]),
      [
        ['fixed', 'create', ['create'], 'safe'],
        ['removed', 'delete', ['guarded-delete'], 'safe'],
      ],
    );
    for (const t of plan.transitions) {
      assert.ok(
        t.warnings.some((w) => w.code === 'BASE_INVALID' && w.message.includes('live object')),
        `${t.name} says it is planned against the live object`,
      );
    }
    const unapproved = planRevision(
      {
        base: 'b',
        head: 'h',
        before: { entries: new Map(), invalidKeys: new Set(['n/removed']) },
        after: { entries: new Map() },
      },
      ctx,
    );
    assert.equal(unapproved.transitions[0]?.safety, 'needs-approval');
  });

  test('no delete while a head file is unreadable', () => {
    const input = {
      base: 'b',
      head: 'h',
      before: { entries: entries(deployment('n', 'gone')) },
      after: { entries: new Map(), unreadableFiles: new Set(['broken.yaml']) },
    };
    assert.deepEqual(planRevision(input, ctx).transitions, []);
    assert.equal(
      planRevision({ ...input, after: { entries: new Map() } }, ctx).transitions[0].change,
      'delete',
    );
  });
});

describe('manifestDiff', () => {
  test('an update diff applies to before and gives after (status and server metadata left out)', () => {
    const before = deployment('n', 'a');
    const after = deployment('n', 'a', 'flink:2.0');
    after.spec.job!.args = ['b'];
    after.metadata.labels = { team: 'x' };
    const live = {
      ...before,
      metadata: { ...before.metadata, resourceVersion: '7', uid: 'u' },
      status: { lifecycleState: 'STABLE' },
    };
    const ops = manifestDiff(live, after);
    const applied = jsonpatch.applyPatch(jsonpatch.deepClone(comparableManifest(before)), ops).newDocument;
    assert.deepEqual(applied, comparableManifest(after));
    assert.ok(!JSON.stringify(ops).includes('status'));
    assert.ok(!JSON.stringify(ops).includes('resourceVersion'));
  });

  test('create and delete diffs equal fast-json-patch compare() against {}', () => {
    const m = deployment('n', 'a');
    assert.deepEqual(manifestDiff(null, m), jsonpatch.compare({}, comparableManifest(m)));
    assert.deepEqual(manifestDiff(m, null), jsonpatch.compare(comparableManifest(m), {}));
  });

  test('key order in the YAML does not change the diff', () => {
    const a = deployment('n', 'a');
    const b = deployment('n', 'a', 'flink:2.0');
    const reordered = {
      spec: b.spec,
      metadata: b.metadata,
      kind: b.kind,
      apiVersion: b.apiVersion,
    } as FlinkDeployment;
    assert.deepEqual(manifestDiff(a, b), manifestDiff(a, reordered));
  });
});

describe('renderMarkdown', () => {
  test('summary table, per-deployment sections, errors; user text cannot break the table or inject HTML', () => {
    const plan = planRevision(
      {
        base: 'a'.repeat(40),
        head: 'b'.repeat(40),
        before: { entries: entries(deployment('n', 'old')) },
        after: { entries: entries(deployment('n', 'new')) },
        errors: [{ file: 'x.yaml', line: 2, column: 3, message: 'bad <script> value' }],
      },
      ctx,
    );
    const md = renderMarkdown(plan);
    assert.match(md, /^## flinkops plan `aaaaaaaaaaaa` → `bbbbbbbbbbbb`/);
    assert.match(md, /\| n\/new \| create \| `create` \| safe \|/);
    assert.match(md, /\| n\/old \| delete \| `guarded-delete` \| ⚠️ needs-approval \|/);
    assert.match(md, /### n\/old \(delete, needs-approval\)/);
    assert.match(md, /- `x.yaml:2:3` bad &lt;script&gt; value/);
    assert.ok(!md.includes('<script>'));
  });

  test('an empty plan says so', () => {
    const md = renderMarkdown({ base: 'x', head: 'y', transitions: [], errors: [] });
    assert.match(md, /No FlinkDeployment changes\./);
  });
});
