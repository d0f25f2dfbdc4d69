// Server-side printing (meta.k8s.io/v1 Table), as the API server does for custom resources: Name, the CRD's
// additionalPrinterColumns, then Age. kubectl asks for it on `get` and `get -w`, and prints the cells as given.
import type { KubeObject } from '../store.ts';
import { humanAge } from './age.ts';
import type { PrinterColumn, ResourceDef } from './resources.ts';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object: unknown }[];
}

/** Whether the Accept header asks for a Table (kubectl sends it first, with plain JSON as the fallback). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io') && params.includes('v=v1');
  });
}

/** Evaluates the simple JSONPath forms printer columns use: `.a.b`, `.a[0].b`. */
export function evalJsonPath(object: unknown, path: string): unknown {
  const parts = path
    .replace(/^\{|\}$/g, '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((p) => p.length > 0);
  let current: unknown = object;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function cellFor(column: PrinterColumn, object: KubeObject): unknown {
  return cellOf(column.compute ? column.compute(object) : evalJsonPath(object, column.jsonPath), column.type);
}

function cellOf(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return type === 'integer' || type === 'number' ? null : '';
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

export function columnsOf(def: ResourceDef): TableColumn[] {
  const own = def.printerColumns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
  if (def.ownColumnsOnly) return own;
  return [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
    ...own,
    { name: 'Age', type: 'date', format: '', description: 'CreationTimestamp of the object.', priority: 0 },
  ];
}

function partialMetadata(object: KubeObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  options: { resourceVersion?: string; includeObject?: string | null; noHeaders?: boolean } = {},
): Table {
  const include = options.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.resourceVersion ? { resourceVersion: options.resourceVersion } : {},
    columnDefinitions: options.noHeaders ? [] : columnsOf(def),
    rows: objects.map((object) => ({
      cells: def.ownColumnsOnly
        ? def.printerColumns.map((c) => cellFor(c, object))
        : [
            object.metadata.name,
            ...def.printerColumns.map((c) => cellFor(c, object)),
            humanAge(object.metadata.creationTimestamp),
          ],
      object: include === 'None' ? null : include === 'Object' ? object : partialMetadata(object),
    })),
  };
}
