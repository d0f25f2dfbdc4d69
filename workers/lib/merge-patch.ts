// Computing the RFC 7386 merge patch that turns the live object into the wanted one. Fields the
// wanted spec does not have are set to null (removed), so "apply the manifest" means exactly the
// manifest; arrays are replaced whole (merge patch has no per-index semantics, which is what we want
// for container and arg lists).
import { isDeepStrictEqual } from 'node:util';
import type { FlinkDeployment, FlinkDeploymentSpec } from '../../src/manifests/types.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The merge patch from `live` to `wanted`, or undefined when they already agree. */
export function diffMergePatch(live: unknown, wanted: unknown): Json | undefined {
  if (isPlainObject(live) && isPlainObject(wanted)) {
    const patch: Record<string, Json> = {};
    for (const [key, value] of Object.entries(wanted)) {
      if (value === undefined) continue;
      const sub = diffMergePatch(live[key], value);
      if (sub !== undefined) patch[key] = sub;
    }
    for (const [key, value] of Object.entries(live)) {
      if ((!(key in wanted) || wanted[key] === undefined) && value !== null && value !== undefined)
        patch[key] = null;
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  if (wanted === null && (live === undefined || live === null)) return undefined;
  return isDeepStrictEqual(live, wanted) ? undefined : (structuredClone(wanted) as Json);
}

/**
 * Labels/annotations to set so the live object carries the wanted manifest's ones. Keys that only the
 * `other` manifest had (the one being replaced) are removed; keys nobody in Git manages (added by
 * kubectl, by people, by admission) are left alone.
 */
function metadataMapPatch(
  live: Record<string, string> | undefined,
  wanted: Record<string, string> | undefined,
  other: Record<string, string> | undefined,
): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(wanted ?? {})) if (live?.[key] !== value) patch[key] = value;
  for (const key of Object.keys(other ?? {})) {
    if (!(key in (wanted ?? {})) && live && key in live) patch[key] = null;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

export interface WantedObject {
  spec: FlinkDeploymentSpec;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The whole patch (spec + managed labels/annotations), or null when the live object already matches. */
export function deploymentPatch(
  live: FlinkDeployment,
  wanted: WantedObject,
  other: FlinkDeployment | null,
): Record<string, unknown> | null {
  const patch: Record<string, unknown> = {};
  const spec = diffMergePatch(live.spec, wanted.spec);
  if (spec !== undefined) patch.spec = spec;
  const labels = metadataMapPatch(live.metadata.labels, wanted.labels, other?.metadata.labels);
  const annotations = metadataMapPatch(
    live.metadata.annotations,
    wanted.annotations,
    other?.metadata.annotations,
  );
  if (labels || annotations)
    patch.metadata = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  return Object.keys(patch).length > 0 ? patch : null;
}

/** The wanted object of a manifest, optionally with spec.job fields overridden. */
export function wantedFrom(
  manifest: FlinkDeployment,
  jobOverrides: Record<string, unknown> = {},
): WantedObject {
  const spec = structuredClone(manifest.spec);
  if (spec.job && Object.keys(jobOverrides).length > 0) spec.job = { ...spec.job, ...jobOverrides };
  return { spec, labels: manifest.metadata.labels, annotations: manifest.metadata.annotations };
}
