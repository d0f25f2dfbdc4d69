// Parsing and validating manifest files: every bad input is an error with the exact file/line/column,
// and never stops the other documents. The operator's own examples parse, validate and plan.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadValidator, validateLoaded } from '../../src/manifests/crd-validator.ts';
import { type FileParseResult, parseManifestFile } from '../../src/manifests/parse-manifest-file.ts';
import { planTransition } from '../../src/plan/plan-transition.ts';

let options: Parameters<typeof parseManifestFile>[2];

before(async () => {
  const validate = await loadValidator();
  options = {
    defaultNamespace: 'default',
    maxAliasCount: 50,
    validate: (doc) => validateLoaded(validate, doc),
  };
});

function parse(text: string, file = 'apps/orders.yaml'): FileParseResult {
  return parseManifestFile(file, text, options);
}

const GOOD = `apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: orders
spec:
  image: flink:1.20
  flinkVersion: v1_20
  job:
    jarURI: local:///opt/flink/usrlib/orders.jar
    parallelism: 2
    upgradeMode: savepoint
`;

describe('manifest files', () => {
  test('a FlinkDeployment gets namespace default and the position of its document', () => {
    const result = parse(`# leading comment\n${GOOD}`);
    assert.deepEqual(result.errors, []);
    assert.equal(result.entries.length, 1);
    const [entry] = result.entries;
    assert.equal(entry.key, 'default/orders');
    assert.equal(entry.file, 'apps/orders.yaml');
    assert.equal(entry.line, 2);
    assert.equal(entry.column, 1);
    assert.equal(entry.manifest.spec.job?.parallelism, 2);
  });

  test('the default namespace is configurable and an explicit namespace wins', () => {
    const result = parseManifestFile(
      'a.yaml',
      `${GOOD}---\n${GOOD.replace('name: orders', 'name: b\n  namespace: x')}`,
      {
        ...options,
        defaultNamespace: 'streaming',
      },
    );
    assert.deepEqual(
      result.entries.map((e) => e.key),
      ['streaming/orders', 'x/b'],
    );
  });

  test('other kinds are ignored, multi-document files keep every FlinkDeployment', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n---\n${GOOD}---\n${GOOD.replace('name: orders', 'name: payments')}`;
    const result = parse(text);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.entries.map((e) => [e.name, e.line]),
      [
        ['orders', 6],
        ['payments', 18],
      ],
    );
  });

  test('YAML 1.2 core schema: yes/on stay strings', () => {
    const result = parse(
      GOOD.replace('metadata:\n', 'metadata:\n  labels:\n    enabled: yes\n    flag: on\n'),
    );
    assert.deepEqual(result.entries[0].manifest.metadata.labels, { enabled: 'yes', flag: 'on' });
  });

  test('malformed YAML: error at the offending line and column, the next document still read', () => {
    const text = `${GOOD.replace('  image: flink:1.20\n', '  image: [flink:1.20\n')}---\n${GOOD.replace('name: orders', 'name: payments')}`;
    const result = parse(text);
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].file, 'apps/orders.yaml');
    assert.match(result.errors[0].message, /^invalid YAML/);
    assert.ok(result.errors[0].line >= 6 && result.errors[0].line <= 12, `line ${result.errors[0].line}`);
    assert.equal(result.unreadable, true);
    assert.deepEqual(
      result.entries.map((e) => e.name),
      ['payments'],
    );
  });

  test('duplicate keys are malformed YAML with the duplicate key position', () => {
    const result = parse(
      GOOD.replace('  flinkVersion: v1_20\n', '  flinkVersion: v1_20\n  image: flink:1.19\n'),
    );
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].line, 8);
    assert.equal(result.errors[0].column, 3);
    assert.match(result.errors[0].message, /unique|duplicate/i);
  });

  test('alias bombs are rejected at the document start', () => {
    const bomb = [
      'apiVersion: flink.apache.org/v1beta1',
      'kind: FlinkDeployment',
      'metadata:',
      '  name: bomb',
      '  labels:',
      '    a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      '    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      '    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      '    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'spec: {}',
      '',
    ].join('\n');
    const result = parse(`# bomb\n${bomb}`);
    assert.equal(result.entries.length, 0);
    assert.equal(result.errors.length, 1);
    assert.deepEqual([result.errors[0].line, result.errors[0].column], [2, 1]);
    assert.match(result.errors[0].message, /alias bomb/);
  });

  test('a few aliases within the cap are fine', () => {
    const text = GOOD.replace('metadata:\n', 'metadata:\n  labels: &l\n    team: a\n  annotations: *l\n');
    const result = parse(text);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.entries[0].manifest.metadata.annotations, { team: 'a' });
  });

  test('schema violations name the field path and point at its value', () => {
    const text = GOOD.replace('parallelism: 2', 'parallelism: two').replace(
      'upgradeMode: savepoint',
      'upgradeMode: sometimes',
    );
    const result = parse(text);
    assert.equal(result.entries.length, 0);
    assert.deepEqual(result.invalidKeys, ['default/orders']);
    assert.deepEqual(
      result.errors.map((e) => [e.line, e.column, e.message]),
      [
        [10, 18, 'FlinkDeployment default/orders: spec.job.parallelism must be integer (CRD schema)'],
        [
          11,
          18,
          'FlinkDeployment default/orders: spec.job.upgradeMode must be one of: last-state, savepoint, stateless (CRD schema)',
        ],
      ],
    );
  });

  test('schema violations inside arrays name the index', () => {
    const text = `${GOOD}  podTemplate:\n    spec:\n      containers:\n        - name: main\n          ports:\n            - containerPort: http\n`;
    const result = parse(text);
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].line, 17);
    assert.equal(result.errors[0].column, 30);
    assert.match(
      result.errors[0].message,
      /spec\.podTemplate\.spec\.containers\[0\]\.ports\[0\]\.containerPort must be integer/,
    );
  });

  test('int-or-string fields accept both', () => {
    const text = `${GOOD}  podTemplate:\n    spec:\n      containers:\n        - name: main\n          resources:\n            limits:\n              cpu: 2\n              memory: 2Gi\n`;
    assert.deepEqual(parse(text).errors, []);
  });

  test('flinkConfiguration (preserve-unknown-fields) accepts nested maps and numbers', () => {
    const text = GOOD.replace(
      'spec:\n',
      'spec:\n  flinkConfiguration:\n    state:\n      savepoints.dir: s3://x\n    taskmanager.numberOfTaskSlots: 2\n',
    );
    assert.deepEqual(parse(text).errors, []);
  });

  test('missing metadata.name is an error at metadata', () => {
    const result = parse(GOOD.replace('  name: orders\n', '  labels: {}\n'));
    assert.equal(result.entries.length, 0);
    assert.deepEqual(
      result.errors.map((e) => [e.line, e.column]),
      [[4, 3]],
    );
    assert.match(result.errors[0].message, /without metadata\.name/);
    assert.equal(result.unreadable, true);
  });

  test('a name or namespace Kubernetes would refuse is an error at its value; the file holds an unknown deployment', () => {
    for (const [text, position, pattern] of [
      [
        GOOD.replace('name: orders', 'name: Bad|Name_x'),
        [4, 9],
        /metadata\.name "Bad\|Name_x" is not a valid Kubernetes name/,
      ],
      [GOOD.replace('name: orders', `name: ${'a'.repeat(254)}`), [4, 9], /RFC 1123 subdomain/],
      [
        GOOD.replace('name: orders', 'name: orders\n  namespace: NS/x'),
        [5, 14],
        /namespace "NS\/x" is not a valid Kubernetes namespace/,
      ],
    ] as const) {
      const result = parse(text);
      assert.equal(result.entries.length, 0);
      assert.deepEqual([result.errors[0]?.line, result.errors[0]?.column], position);
      assert.match(result.errors[0].message, pattern);
      assert.equal(result.unreadable, true);
    }
    assert.equal(parse(GOOD.replace('name: orders', 'name: orders.v2-x')).entries.length, 1, 'dots are fine');
  });

  test('a FlinkDeployment of another flink.apache.org version is an error, other kinds are not', () => {
    const result = parse(GOOD.replace('flink.apache.org/v1beta1', 'flink.apache.org/v1alpha1'));
    assert.equal(result.errors.length, 1);
    assert.deepEqual([result.errors[0].line, result.errors[0].column], [1, 13]);
    assert.equal(parse(GOOD.replace('kind: FlinkDeployment', 'kind: FlinkSessionJob')).errors.length, 0);
  });

  test('empty files and comment-only files have nothing in them', () => {
    assert.deepEqual(parse(''), { entries: [], errors: [], invalidKeys: [], unreadable: false });
    assert.deepEqual(parse('# nothing\n---\n'), {
      entries: [],
      errors: [],
      invalidKeys: [],
      unreadable: false,
    });
  });
});

describe('operator examples (test/fixtures/operator-examples)', () => {
  const dir = new URL('../fixtures/operator-examples/', import.meta.url).pathname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  let total = 0;
  for (const file of files) {
    test(`${file} parses, validates and plans as a create`, () => {
      const result = parse(readFileSync(join(dir, file), 'utf8'), file);
      assert.deepEqual(result.errors, []);
      total += result.entries.length;
      for (const entry of result.entries) {
        const t = planTransition(
          { namespace: entry.namespace, name: entry.name, before: null, after: entry.manifest },
          { approvedDeletes: new Set(), ledger: new Map() },
        );
        assert.ok(t);
        assert.equal(t.change, 'create');
        assert.deepEqual(
          t.steps.map((s) => s.action),
          ['create'],
        );
        assert.ok(t.diff.length > 0);
      }
    });
  }
  test('all 24 FlinkDeployments were found', () => {
    assert.equal(total, 24);
  });
});
