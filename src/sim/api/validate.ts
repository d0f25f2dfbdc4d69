// Schema validation of writes, as the API server does for custom resources: the CRD's openAPIV3Schema
// (ajv, strict:false so the x-kubernetes-* keywords are ignored) plus object-name rules. Failures become
// 422 Invalid with one cause per field path (`spec.job.parallelism`), worded like the real server's.
// FlinkDeployments reuse the manifest validator (src/manifests/crd-validator.ts), whose compiled code is
// cached on disk: compiling that schema costs seconds per process otherwise.
import { Ajv, type ErrorObject } from 'ajv';
import { loadValidator, prepareKubernetesSchema } from '../../manifests/crd-validator.ts';
import type { KubeObject } from '../store.ts';
import type { ResourceDef } from './resources.ts';
import { invalid, type StatusCause } from './status.ts';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
type ValidateFn = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const compiled = new Map<string, ValidateFn>();

function validatorFor(def: ResourceDef): ValidateFn | undefined {
  if (!def.schema) return undefined;
  let fn = compiled.get(def.resource);
  if (!fn) {
    fn = ajv.compile(prepareKubernetesSchema(def.schema)) as ValidateFn;
    compiled.set(def.resource, fn);
  }
  return fn;
}

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function valueAt(object: unknown, instancePath: string): unknown {
  let current: unknown = object;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const show = (value: unknown) => JSON.stringify(value);

function causeOf(error: ErrorObject, object: unknown): StatusCause | undefined {
  const value = valueAt(object, error.instancePath);
  const field = fieldPath(error.instancePath);
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const path = field ? `${field}.${missing}` : missing;
      return { reason: 'FieldValueRequired', message: 'Required value', field: path };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(show).join(', ');
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${show(value)}: supported values: ${allowed}`,
        field,
      };
    }
    case 'type': {
      const type = (error.params as { type: string }).type;
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${typeof value}": ${field} in body must be of type ${type}: "${Array.isArray(value) ? 'array' : typeof value}"`,
        field,
      };
    }
    case 'anyOf':
    case 'oneOf':
      return undefined; // the branch errors already say what is wrong
    default:
      return {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(value)}: ${field} in body ${error.message ?? 'is invalid'}`,
        field,
      };
  }
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function metadataCauses(object: KubeObject): StatusCause[] {
  const name = object.metadata?.name;
  if (!name)
    return [
      {
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      },
    ];
  if (name.length > 253 || !NAME.test(name)) {
    return [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
        field: 'metadata.name',
      },
    ];
  }
  return [];
}

/** Loads or compiles every schema now, so the first write is not slow. */
export async function warmValidators(defs: ResourceDef[]): Promise<void> {
  if (!compiled.has('flinkdeployments')) compiled.set('flinkdeployments', await loadValidator());
  for (const def of defs) validatorFor(def);
}

/** Throws a 422 ApiError naming every invalid field; returns quietly when the object is valid. */
export function validateObject(def: ResourceDef, object: KubeObject): void {
  const causes = metadataCauses(object);
  const fn = validatorFor(def);
  if (fn && !fn(object)) {
    const seen = new Set<string>();
    for (const error of fn.errors ?? []) {
      const cause = causeOf(error, object);
      if (!cause) continue;
      const key = `${cause.field}|${cause.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      causes.push(cause);
    }
    if (causes.length === 0)
      causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value', field: '' });
  }
  if (causes.length > 0) {
    throw invalid(
      { group: def.group, kind: def.resource, objectKind: def.kind, name: object.metadata?.name },
      causes,
    );
  }
}
