// Unknown fields, handled as the API server handles them for structural CRD schemas: they are pruned
// (dropped) from what is stored; with fieldValidation=Strict (what kubectl sends) the request fails instead,
// and with Warn (the server default) the client gets a Warning header per field.
import type { KubeObject } from '../store.ts';
import { ApiError } from './status.ts';

interface Schema {
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  anyOf?: Schema[];
  allOf?: Schema[];
}

/** Fields every object may carry at the root, outside the CRD's own schema. */
const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function pruneValue(schema: Schema | undefined, value: unknown, path: string, unknown: string[]): void {
  if (
    !schema ||
    schema['x-kubernetes-preserve-unknown-fields'] ||
    value === null ||
    typeof value !== 'object'
  )
    return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) pruneValue(schema.items, value[i], `${path}[${i}]`, unknown);
    return;
  }
  const record = value as Record<string, unknown>;
  if (schema.properties) {
    for (const key of Object.keys(record)) {
      const child = schema.properties[key];
      const childPath = path ? `${path}.${key}` : key;
      if (child) pruneValue(child, record[key], childPath, unknown);
      else if (schema['x-kubernetes-embedded-resource'] && ROOT_FIELDS.has(key)) continue;
      else {
        unknown.push(childPath);
        delete record[key];
      }
    }
  } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    for (const key of Object.keys(record)) {
      pruneValue(schema.additionalProperties, record[key], path ? `${path}.${key}` : key, unknown);
    }
  }
}

/** Drops fields the schema does not know from `object` (in place); returns their paths. */
export function pruneUnknownFields(
  schema: Record<string, unknown> | undefined,
  object: KubeObject,
): string[] {
  if (!schema) return [];
  const unknown: string[] = [];
  const root = schema as Schema;
  for (const key of Object.keys(object)) {
    if (ROOT_FIELDS.has(key)) continue;
    const child = root.properties?.[key];
    if (child) pruneValue(child, object[key], key, unknown);
    else if (!root['x-kubernetes-preserve-unknown-fields']) {
      unknown.push(key);
      delete object[key];
    }
  }
  return unknown;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const value = query.get('fieldValidation') ?? 'Warn';
  if (value !== 'Strict' && value !== 'Warn' && value !== 'Ignore') {
    throw new ApiError(
      400,
      'BadRequest',
      `fieldValidation must be one of Strict, Warn, Ignore; got ${value}`,
    );
  }
  return value;
}

/** Applies the directive: Strict throws 400 naming every unknown field, otherwise returns warning texts. */
export function handleUnknownFields(unknown: string[], directive: FieldValidation): string[] {
  if (unknown.length === 0 || directive === 'Ignore') return [];
  const texts = unknown.map((path) => `unknown field "${path}"`);
  if (directive === 'Strict')
    throw new ApiError(400, 'BadRequest', `strict decoding error: ${texts.join(', ')}`);
  return texts;
}
