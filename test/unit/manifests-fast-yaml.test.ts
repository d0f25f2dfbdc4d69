// The fast manifest reader must give exactly what the `yaml` package gives, or decline (null) so the
// file goes to `yaml`. Checked on the real fixtures and on a corpus of tricky snippets.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LineCounter, parseAllDocuments } from 'yaml';
import { fastParseYaml } from '../../src/manifests/fast-yaml.ts';
import { documentStart } from '../../src/manifests/yaml-position.ts';

function viaYaml(text: string) {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, version: '1.2', schema: 'core', merge: false });
  if (!Array.isArray(docs)) return [];
  return docs
    .map((doc) => {
      assert.equal(doc.errors.length, 0, `yaml itself rejects this input: ${doc.errors[0]?.message}`);
      return { value: doc.toJS({ maxAliasCount: 50 }) as unknown, ...documentStart(doc, lineCounter) };
    })
    .filter((d) => d.value !== null && typeof d.value === 'object')
    .map((d) => ({ value: d.value, line: d.line, column: d.column }));
}

/** Either declines or agrees with yaml on values and document positions. */
function assertAgrees(text: string, label: string): boolean {
  const fast = fastParseYaml(text);
  if (fast === null) return false;
  const expected = viaYaml(text);
  assert.deepEqual(
    fast.filter((d) => d.value !== null),
    expected,
    `${label}: fast reader disagrees with yaml`,
  );
  return true;
}

const TYPICAL = `# comment
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: orders   # trailing comment
  namespace: "streaming"
  labels: {}
  annotations:
    'quoted key': 'it''s'
    "double": "a # not a comment"
spec:
  image: flink:1.20
  flinkVersion: v1_20
  flinkConfiguration:
    taskmanager.numberOfTaskSlots: "2"
    state.savepoints.dir: s3://bucket/sp
    a.number: 2
    a.float: 1.5
    an.exp: 1e3
    neg: -5
    octal: 0o17
    hex: 0x1F
    yes.stays: yes
    bool: true
    Bool: False
    nul: ~
    empty:
    inf: -.inf
    jvm: -Xmx1g
    url: http://x:80/y
    hash: a#b
  job:
    args:
    - --input
    - "s3://in"
    - 3
    state: running
  podTemplate:
    spec:
      containers:
        - name: main
          env:
            - name: A
              value: "1"
            -   name: B
                value: b
          ports: []
        -
          name: side
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: second
data:
  key: value
`;

describe('fast YAML reader', () => {
  test('reads a typical manifest exactly like yaml (and does not decline it)', () => {
    assert.equal(assertAgrees(TYPICAL, 'typical'), true);
  });

  test('agrees with yaml (or declines) on every operator example and plan case', () => {
    let read = 0;
    for (const dirName of ['operator-examples', 'plan-cases', 'status-examples']) {
      const dir = new URL(`../fixtures/${dirName}/`, import.meta.url).pathname;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
        if (assertAgrees(readFileSync(join(dir, file), 'utf8'), `${dirName}/${file}`)) read++;
      }
    }
    assert.ok(read >= 40, `fast reader handled only ${read} fixture files`);
  });

  const declines: Record<string, string> = {
    anchor: 'a: &x 1\nb: *x\n',
    tag: 'a: !!str 1\n',
    'block scalar': 'a: |\n  text\n',
    'folded scalar': 'a: >\n  text\n',
    'multi-line plain': 'a: one\n  two\n',
    'nested flow': 'a: {b: [1]}\n',
    'nested flow sequence': 'a: [[1], 2]\n',
    'flow item with a comment': '- {b: 1} # c\n',
    'multi-line flow': 'a: {b: 1,\n  c: 2}\n',
    'flow map without space after colon': 'a: {b:1}\n',
    'flow map key without value': 'a: {b}\n',
    'flow map empty value': 'a: {b: }\n',
    'flow empty entry': 'a: [1, , 2]\n',
    'flow duplicate key': 'a: {b: 1, b: 2}\n',
    'flow value with a colon': 'a: {url: http://x}\n',
    'flow explicit key': 'a: {? b: c}\n',
    'flow alias': 'a: &x 1\nb: [*x]\n',
    'flow tag': 'a: {b: !t c}\n',
    'flow text after close': 'a: [1] x\n',
    'flow escape': 'a: ["x\\ny"]\n',
    escape: 'a: "x\\ny"\n',
    tab: 'a:\t1\n',
    crlf: 'a: 1\r\nb: 2\r\n',
    'duplicate key': 'a: 1\na: 2\n',
    'merge key': 'a: 1\n<<: {b: 2}\n',
    'numeric key': '1: a\n',
    'bool key': 'true: a\n',
    'explicit key': '? a\n: b\n',
    directive: '%YAML 1.2\n---\na: 1\n',
    'document end': 'a: 1\n...\n',
    'content after ---': '--- a: 1\n',
    'bad indentation': 'a:\n    b: 1\n  c: 2\n',
    'nested compact mapping': 'a: b: c\n',
    'unclosed quote': 'a: "x\n',
    'scalar document': 'just text\n',
    'proto key': '__proto__: 1\n',
    'sequence of sequences': '- - a\n',
    // JavaScript's trim() would eat these, YAML keeps them (found by differential fuzzing)
    'no-break space ending a value': 'spec:\n  image: flink:1.20\u00a0\n',
    'ideographic space in a flow item': 'a: [b\u3000]\n',
    'no-break space after a colon': 'a:\u00a0\nb: 1\n',
    'vertical tab and form feed': 'a: b\u000b\nc: d\u000c\n',
    'line separator': 'a: b\u2028c\n',
    'BOM after a comment line': '# c\n\ufeffapiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\n',
    'implicit key over 1024 characters': `${'k'.repeat(1025)}: 1\n`,
    'quoted implicit key over 1024 characters': `"${'k'.repeat(1023)}": 1\n`,
  };
  for (const [label, text] of Object.entries(declines)) {
    test(`declines: ${label}`, () => {
      assert.equal(fastParseYaml(text), null);
    });
  }

  const agrees: Record<string, string> = {
    'empty value then sibling': 'a:\nb: 1\n',
    'compact sequence under key': 'a:\n- 1\n- x\nb: 2\n',
    'sequence of mappings with nested maps': 'a:\n  - n: 1\n    m:\n      k: v\n  - n: 2\n',
    'leading document marker': '---\na: 1\n---\n---\nb: 2\n',
    'indented top level': '  a: 1\n  b: 2\n',
    'comments everywhere': '# c\na: 1 # c\n# c\nb:\n  # c\n  c: 2\n',
    'quoted scalars': `a: 'x: y'\nb: "# z"\nc: ''\nd: ""\n`,
    'special floats': 'a: .nan\nb: .Inf\nc: +12\nd: 1.\ne: .5\nf: 1_000\n',
    'nulls and bools': 'a: null\nb: NULL\nc: TRUE\nd: tRue\ne:\n',
    'colons in values': 'a: http://h:1/p\nb: c:d\n',
    'huge numbers':
      'a: 12345678901234567890\nb: 0x1234567890abcdef12\nc: 1.2345678901234567890123\nd: 0o7777777777777777777777\n',
    'flow mappings and sequences of scalars':
      'resource: { memory: "2048m", cpu: 1 }\nargs: [--input, "s3://in", 3, true, null, -1, .5, 0x1F]\n' +
      `m: {a: b c, "q k": 'it''s', 'x': "y, z", n: ~}\ntrailing: [a, b,]\nspaced: {  a: 1 ,b: 2  }\n` +
      'list:\n  - {name: A, value: "1"}\n  - [x]\ncommented: {b: 1} # c\n',
    'implicit key of 1023 characters': `${'k'.repeat(1023)}: 1\n`,
    'number-like strings': 'a: 2048m\nb: 1.2.3\nc: 0b101\nd: 1e\nf: +\ng: .\nh: 12:30\n',
  };
  for (const [label, text] of Object.entries(agrees)) {
    test(`agrees with yaml: ${label}`, () => {
      assert.equal(assertAgrees(text, label), true, 'declined although it should be read');
    });
  }
});
