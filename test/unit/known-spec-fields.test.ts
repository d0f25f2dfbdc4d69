// The table of fields the planner treats as known must be exactly what the operator's CRD defines at
// those levels, so a new CRD version cannot make a real field look like a typo (or the reverse).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  KNOWN_SPEC_FIELDS,
  unknownSpecFields,
  withoutUnknownSpecFields,
} from '../../src/manifests/known-spec-fields.ts';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

test('every level of the table lists exactly the properties of the CRD there', () => {
  const crd = parse(
    readFileSync(
      new URL('../../src/manifests/crds/flinkdeployments.flink.apache.org-v1.yml', import.meta.url),
      'utf8',
    ),
  ) as { spec: { versions: { name: string; schema: { openAPIV3Schema: SchemaNode } }[] } };
  const root = crd.spec.versions.find((v) => v.name === 'v1beta1')?.schema.openAPIV3Schema;
  for (const [path, fields] of Object.entries(KNOWN_SPEC_FIELDS)) {
    const node = path.split('.').reduce<SchemaNode | undefined>((n, key) => n?.properties?.[key], root);
    assert.ok(node?.properties, `${path} is an object with properties in the CRD`);
    assert.deepEqual([...fields].sort(), Object.keys(node.properties).sort(), path);
  }
});

test('unknown fields are found at every level of the table, known ones are kept', () => {
  const spec = {
    imagee: 'flink:2.0',
    image: 'flink:1.20',
    flinkConfiguration: { anything: 'goes' },
    job: { jarURI: 'local:///a.jar', parallelsim: 4 },
    jobManager: { resources: { memory: '1g' }, resource: { memory: '1g', gpu: 1 } },
    podTemplate: { spec: { anything: true } },
  };
  assert.deepEqual(unknownSpecFields(spec), [
    'spec.imagee',
    'spec.job.parallelsim',
    'spec.jobManager.resource.gpu',
    'spec.jobManager.resources',
  ]);
  assert.deepEqual(withoutUnknownSpecFields(spec), {
    image: 'flink:1.20',
    flinkConfiguration: { anything: 'goes' },
    job: { jarURI: 'local:///a.jar' },
    jobManager: { resource: { memory: '1g' } },
    podTemplate: { spec: { anything: true } },
  });
  assert.deepEqual(unknownSpecFields(undefined), []);
});
