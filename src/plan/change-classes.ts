// The operator's spec-change classes (reference/flink-operator.md section 1, DiffType): every changed
// field is IGNORE < SCALE < UPGRADE < SAVEPOINT_REDEPLOY, and the largest decides what the operator does.
// spec.job.state is left out: the planner treats running/suspended as a state change of its own.

import { flattenFlinkConfiguration } from '../manifests/flink-config.ts';
import { unknownSpecFields, valueAtPath, withoutUnknownSpecFields } from '../manifests/known-spec-fields.ts';
import {
  type ChangeClass,
  configKeyClass,
  IGNORED_JOB_FIELDS,
} from '../manifests/operator-change-classes.ts';
import type { FlinkDeployment } from '../manifests/types.ts';

export type { ChangeClass } from '../manifests/operator-change-classes.ts';

const RANK: Record<ChangeClass, number> = { IGNORE: 0, SCALE: 1, UPGRADE: 2, SAVEPOINT_REDEPLOY: 3 };

export interface FieldChange {
  /** dotted path, e.g. spec.job.jarURI or spec.flinkConfiguration["state.savepoints.dir"] */
  field: string;
  changeClass: ChangeClass;
}

export interface SpecChanges {
  fields: FieldChange[];
  /** the largest class, null when nothing but (possibly) job.state changed */
  max: ChangeClass | null;
}

/** defaults the operator applies, so `absent` and the default are the same spec */
const JOB_DEFAULTS: Record<string, unknown> = { state: 'running', upgradeMode: 'stateless' };

export function classifySpecChanges(before: FlinkDeployment, after: FlinkDeployment): SpecChanges {
  const fields: FieldChange[] = [];
  const add = (field: string, changeClass: ChangeClass) => fields.push({ field, changeClass });

  for (const part of ['labels', 'annotations'] as const) {
    if (!sameValue(before.metadata?.[part] ?? {}, after.metadata?.[part] ?? {}))
      add(`metadata.${part}`, 'IGNORE');
  }
  // fields the CRD does not define are pruned by the API server: they are compared on their own below
  const b = withoutUnknownSpecFields((before.spec ?? {}) as Record<string, unknown>);
  const a = withoutUnknownSpecFields((after.spec ?? {}) as Record<string, unknown>);
  const standalone = (a.mode ?? 'native') === 'standalone';
  for (const key of unionKeys(b, a)) {
    if (key === 'job') classifyJob(b.job, a.job, standalone, add);
    else if (key === 'flinkConfiguration') {
      const fb = flattenFlinkConfiguration(b.flinkConfiguration);
      const fa = flattenFlinkConfiguration(a.flinkConfiguration);
      for (const configKey of unionKeys(fb, fa)) {
        if (fb[configKey] === fa[configKey]) continue;
        add(`spec.flinkConfiguration["${configKey}"]`, configKeyClass(configKey));
      }
    } else if (key === 'restartNonce') {
      // a new non-null nonce restarts; removing it (null) is ignored by the operator
      if (!sameValue(b.restartNonce ?? null, a.restartNonce ?? null)) {
        add('spec.restartNonce', a.restartNonce == null ? 'IGNORE' : 'UPGRADE');
      }
    } else if (key === 'taskManager' && standalone) {
      const tb = (b.taskManager ?? {}) as Record<string, unknown>;
      const ta = (a.taskManager ?? {}) as Record<string, unknown>;
      for (const inner of unionKeys(tb, ta)) {
        if (!sameValue(tb[inner], ta[inner]))
          add(`spec.taskManager.${inner}`, inner === 'replicas' ? 'SCALE' : 'UPGRADE');
      }
    } else if (!sameValue(b[key], a[key])) {
      add(`spec.${key}`, 'UPGRADE');
    }
  }
  for (const field of changedUnknownSpecFields(before, after)) add(field, 'IGNORE');
  let max: ChangeClass | null = null;
  for (const f of fields) if (max === null || RANK[f.changeClass] > RANK[max]) max = f.changeClass;
  return { fields, max };
}

function classifyJob(
  before: unknown,
  after: unknown,
  standalone: boolean,
  add: (field: string, cls: ChangeClass) => void,
): void {
  if (!before || !after) {
    // application <-> session switch (or job added/removed): the operator treats it as a redeploy (and rejects it)
    if (before || after) add('spec.job', 'UPGRADE');
    return;
  }
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of unionKeys(b, a)) {
    if (key === 'state') continue;
    const vb = b[key] ?? JOB_DEFAULTS[key] ?? null;
    const va = a[key] ?? JOB_DEFAULTS[key] ?? null;
    if (sameValue(vb, va)) continue;
    if (key === 'savepointRedeployNonce')
      add('spec.job.savepointRedeployNonce', va == null ? 'IGNORE' : 'SAVEPOINT_REDEPLOY');
    // section 1: parallelism is SCALE only in standalone mode
    else if (key === 'parallelism' && standalone) add('spec.job.parallelism', 'SCALE');
    else add(`spec.job.${key}`, IGNORED_JOB_FIELDS.has(key) ? 'IGNORE' : 'UPGRADE');
  }
}

/** Fields the CRD does not define (see known-spec-fields.ts) whose value differs between the two. */
export function changedUnknownSpecFields(before: FlinkDeployment | null, after: FlinkDeployment): string[] {
  const paths = new Set([...unknownSpecFields(before?.spec), ...unknownSpecFields(after.spec)]);
  return [...paths].filter((path) => !sameValue(valueAtPath(before, path), valueAtPath(after, path))).sort();
}

export function hasField(changes: SpecChanges, field: string): boolean {
  return changes.fields.some((f) => f.field === field);
}

export function atLeast(cls: ChangeClass | null, min: ChangeClass): boolean {
  return cls !== null && RANK[cls] >= RANK[min];
}

function unionKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

/** Structural equality of JSON-like values (key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameValue(v, bb[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
