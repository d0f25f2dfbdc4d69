// What the embedded API server serves: one entry per resource, read from the operator's CRDs
// (names, short names, printer columns, schema) so discovery and validation follow the real definitions.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { childLogger } from '../../log.ts';
import type { KubeObject, ResourceName } from '../store.ts';
import { humanAge } from './age.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
  /** for built-in kinds, whose columns the API server computes in code rather than from a JSONPath */
  compute?: (object: KubeObject) => unknown;
}

export interface ResourceDef {
  resource: ResourceName;
  group: string; // '' for core
  version: string;
  kind: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** has a status subresource */
  status: boolean;
  printerColumns: PrinterColumn[];
  /** built-in kinds print only their own columns (custom resources get Name first and Age last) */
  ownColumnsOnly?: boolean;
  /** the CRD's openAPIV3Schema; undefined for core resources (not validated) */
  schema?: Record<string, unknown>;
}

export const FLINK_GROUP = 'flink.apache.org';
export const FLINK_VERSION = 'v1beta1';

const CRD_DIR = new URL('../../manifests/crds/', import.meta.url);
const CACHE_DIR =
  process.env.FLINKOPS_CACHE_DIR ??
  fileURLToPath(new URL('../../../node_modules/.cache/flinkops/', import.meta.url));

interface CrdDocument {
  spec: {
    group: string;
    names: { kind: string; plural: string; singular: string; shortNames?: string[] };
    scope: string;
    versions: {
      name: string;
      additionalPrinterColumns?: PrinterColumn[];
      schema?: { openAPIV3Schema?: Record<string, unknown> };
      subresources?: { status?: unknown };
    }[];
  };
}

/**
 * Parsing the 11,000-line FlinkDeployment CRD as YAML takes a second or more on a busy machine; its JSON form
 * is cached on disk keyed by the text's hash, so later processes read it in milliseconds.
 */
function readCrd(file: string): CrdDocument {
  const text = readFileSync(new URL(file, CRD_DIR), 'utf8');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 20);
  const cached = join(CACHE_DIR, `crd-${hash}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as CrdDocument;
  } catch {
    // not cached yet (or unreadable): parse below
  }
  const crd = parse(text) as CrdDocument;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const temp = `${cached}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(crd));
    renameSync(temp, cached); // atomic: concurrent processes never read a half-written file
  } catch (err) {
    childLogger({ component: 'sim-api' }).warn(
      { err, cacheDir: CACHE_DIR },
      'could not cache the parsed CRD',
    );
  }
  return crd;
}

function fromCrd(file: string, resource: ResourceName): ResourceDef {
  const crd = readCrd(file);
  const version = crd.spec.versions.find((v) => v.name === FLINK_VERSION);
  if (!version) throw new Error(`${file}: no ${FLINK_VERSION} version in the CRD`);
  return {
    resource,
    group: crd.spec.group,
    version: version.name,
    kind: crd.spec.names.kind,
    singular: crd.spec.names.singular,
    shortNames: crd.spec.names.shortNames ?? [],
    namespaced: crd.spec.scope === 'Namespaced',
    status: version.subresources?.status !== undefined,
    printerColumns: version.additionalPrinterColumns ?? [],
    schema: version.schema?.openAPIV3Schema,
  };
}

const eventField = (o: KubeObject, field: string) => o[field] as string | undefined;
const involved = (o: KubeObject) =>
  (o.involvedObject ?? {}) as { kind?: string; name?: string; fieldPath?: string };

/** The columns the API server prints for core/v1 events (kubectl get events). */
const EVENT_COLUMNS: PrinterColumn[] = [
  {
    name: 'Last Seen',
    type: 'string',
    jsonPath: '.lastTimestamp',
    compute: (o) =>
      humanAge(eventField(o, 'lastTimestamp') ?? eventField(o, 'eventTime') ?? o.metadata.creationTimestamp),
  },
  { name: 'Type', type: 'string', jsonPath: '.type' },
  { name: 'Reason', type: 'string', jsonPath: '.reason' },
  {
    name: 'Object',
    type: 'string',
    jsonPath: '.involvedObject.name',
    compute: (o) => `${(involved(o).kind ?? '').toLowerCase()}/${involved(o).name ?? ''}`,
  },
  { name: 'Subobject', type: 'string', jsonPath: '.involvedObject.fieldPath', priority: 1 },
  { name: 'Source', type: 'string', jsonPath: '.source.component', priority: 1 },
  { name: 'Message', type: 'string', jsonPath: '.message' },
  {
    name: 'First Seen',
    type: 'string',
    jsonPath: '.firstTimestamp',
    priority: 1,
    compute: (o) => humanAge(eventField(o, 'firstTimestamp') ?? o.metadata.creationTimestamp),
  },
  { name: 'Count', type: 'string', jsonPath: '.count', priority: 1 },
  { name: 'Name', type: 'string', jsonPath: '.metadata.name', priority: 1 },
];

let cached: ResourceDef[] | undefined;

/** All served resources; the CRDs are parsed once per process (the FlinkDeployment one is ~11k lines). */
export function resourceDefs(): ResourceDef[] {
  cached ??= [
    fromCrd('flinkdeployments.flink.apache.org-v1.yml', 'flinkdeployments'),
    fromCrd('flinkstatesnapshots.flink.apache.org-v1.yml', 'flinkstatesnapshots'),
    {
      resource: 'events',
      group: '',
      version: 'v1',
      kind: 'Event',
      singular: 'event',
      shortNames: ['ev'],
      namespaced: true,
      status: false,
      ownColumnsOnly: true,
      printerColumns: EVENT_COLUMNS,
    },
  ];
  return cached;
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return resourceDefs().find((d) => d.group === group && d.version === version && d.resource === plural);
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
