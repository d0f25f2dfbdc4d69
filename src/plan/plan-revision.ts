// A whole Plan from the deployments found at base and at head (pure: the reading happens elsewhere).
// Deployments pair by namespace/name, so a manifest moved to another file is an update or nothing.
import { type ManifestEntry, type ManifestError, splitDeploymentKey } from '../manifests/types.ts';
import { planFromInvalidBase, planTransition } from './plan-transition.ts';
import type { Plan, PlanContext, Transition } from './types.ts';

/** What was read at one revision (the subset of LoadedManifests the planner needs). */
export interface RevisionSide {
  entries: ReadonlyMap<string, ManifestEntry>;
  /** present but invalid (schema violation, duplicate): plan nothing for them */
  invalidKeys?: ReadonlySet<string>;
  /** files with a document whose identity is unknown */
  unreadableFiles?: ReadonlySet<string>;
}

export interface PlanRevisionInput {
  base: string;
  head: string;
  before: RevisionSide;
  after: RevisionSide;
  /** manifest errors at head; reported as they are */
  errors?: readonly ManifestError[];
}

export function planRevision(input: PlanRevisionInput, ctx: PlanContext): Plan {
  const { before, after } = input;
  // when any head file could not be read, a deployment missing at head may sit in that file: no deletes then
  const headIncomplete = (after.unreadableFiles?.size ?? 0) > 0;
  // a key invalid at base but valid (or gone) at head is planned too: a fix, or a broken manifest removed
  const baseInvalid = [...(before.invalidKeys ?? [])].filter((key) => !before.entries.has(key));
  const keys = sortKeys(new Set([...before.entries.keys(), ...after.entries.keys(), ...baseInvalid]));
  const transitions: Transition[] = [];
  for (const key of keys) {
    if (after.invalidKeys?.has(key)) continue;
    const was = before.entries.get(key) ?? null;
    const now = after.entries.get(key) ?? null;
    if (was && !now && headIncomplete) continue;
    if (!was && before.invalidKeys?.has(key)) {
      if (!now && headIncomplete) continue;
      const [namespace, name] = splitDeploymentKey(key);
      const transition = planFromInvalidBase({ namespace, name, after: now?.manifest ?? null }, ctx);
      if (transition) transitions.push(transition);
      continue;
    }
    const ref = (now ?? was)!;
    const transition = planTransition(
      {
        namespace: ref.namespace,
        name: ref.name,
        before: was?.manifest ?? null,
        after: now?.manifest ?? null,
      },
      ctx,
    );
    if (transition) transitions.push(transition);
  }
  const errors = [...(input.errors ?? [])].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
  return { base: input.base, head: input.head, transitions, errors };
}

/**
 * namespace/name order (namespace first, then name), independent of locale. Namespaces and names never
 * contain '/' or NUL, so comparing `namespace NUL name` strings gives that order in one comparison each.
 */
function sortKeys(keys: Iterable<string>): string[] {
  return [...keys]
    .map((key) => ({ key, sortKey: key.replace('/', '\0') }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    .map((k) => k.key);
}

/** namespace/name order (namespace first, then name), independent of locale. */
export function compareKeys(a: string, b: string): number {
  const [na, ...ra] = a.split('/');
  const [nb, ...rb] = b.split('/');
  if (na !== nb) return na < nb ? -1 : 1;
  const ma = ra.join('/');
  const mb = rb.join('/');
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}
