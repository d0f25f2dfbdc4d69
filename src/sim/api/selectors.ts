// Label and field selectors as the API server parses them: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
// `a notin (x)`, `a`, `!a`; field selectors on metadata.name and metadata.namespace (the ones
// every resource supports).
import type { KubeObject } from '../store.ts';
import { badRequest } from './status.ts';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (object: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

function parseLabelTerm(term: string): Requirement {
  const setMatch = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = setMatch[3]
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    return { op: setMatch[2] as 'in' | 'notin', key: setMatch[1], values };
  }
  const neq = /^([^\s!=(),]+)\s*!=\s*([^\s!=(),]*)$/.exec(term);
  if (neq) return { op: 'neq', key: neq[1], value: neq[2] };
  const eq = /^([^\s!=(),]+)\s*==?\s*([^\s!=(),]*)$/.exec(term);
  if (eq) return { op: 'eq', key: eq[1], value: eq[2] };
  const not = /^!\s*([^\s!=(),]+)$/.exec(term);
  if (not) return { op: 'notexists', key: not[1] };
  if (/^[^\s!=(),]+$/.test(term)) return { op: 'exists', key: term };
  throw badRequest(
    `unable to parse requirement: found '${term}', expected: key, !key, key=value, key!=value, key in (...)`,
  );
}

function matches(req: Requirement, fields: Record<string, string>): boolean {
  const has = Object.hasOwn(fields, req.key);
  const value = fields[req.key];
  switch (req.op) {
    case 'eq':
      return has && value === req.value;
    case 'neq':
      return !has || value !== req.value;
    case 'in':
      return has && req.values.includes(value);
    case 'notin':
      return !has || !req.values.includes(value);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map(parseLabelTerm);
  return (object) => reqs.every((r) => matches(r, object.metadata.labels ?? {}));
}

type FieldGetter = (o: KubeObject) => string | undefined;

const META_FIELDS: Record<string, FieldGetter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
};

const field =
  (...path: string[]): FieldGetter =>
  (o) => {
    let current: unknown = o;
    for (const part of path)
      current =
        current && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
    return current === undefined || current === null ? '' : String(current);
  };

/** Events also select on the object they are about (kubectl describe asks for involvedObject.*). */
const EVENT_FIELDS: Record<string, FieldGetter> = {
  ...META_FIELDS,
  'involvedObject.kind': field('involvedObject', 'kind'),
  'involvedObject.namespace': field('involvedObject', 'namespace'),
  'involvedObject.name': field('involvedObject', 'name'),
  'involvedObject.uid': field('involvedObject', 'uid'),
  'involvedObject.apiVersion': field('involvedObject', 'apiVersion'),
  'involvedObject.resourceVersion': field('involvedObject', 'resourceVersion'),
  'involvedObject.fieldPath': field('involvedObject', 'fieldPath'),
  reason: field('reason'),
  reportingComponent: field('reportingComponent'),
  source: field('source', 'component'),
  type: field('type'),
};

export function parseFieldSelector(selector: string | null | undefined, resource?: string): Matcher {
  if (!selector) return () => true;
  const getters = resource === 'events' ? EVENT_FIELDS : META_FIELDS;
  const reqs = splitTerms(selector).map((term) => {
    const m = /^([^\s!=]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: '${term}'`);
    const getter = getters[m[1]];
    if (!getter) throw badRequest(`field label not supported: ${m[1]}`);
    return { getter, negate: m[2] === '!=', value: m[3].trim() };
  });
  return (object) => reqs.every((r) => (r.getter(object) === r.value) !== r.negate);
}
