// The PATCH content types a custom resource accepts, applied the way the API server applies them.
// Strategic merge is refused with 415, exactly as for every custom resource (there is no patch strategy
// metadata for CRDs); server-side apply is approximated by a merge of the applied configuration.
import jsonpatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../store.ts';
import { ApiError, badRequest } from './status.ts';

export type PatchType = 'merge' | 'json' | 'apply';

const SUPPORTED = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (base === 'application/merge-patch+json') return 'merge';
  if (base === 'application/json-patch+json') return 'json';
  if (base === 'application/apply-patch+yaml' || base === 'application/apply-patch+cbor') return 'apply';
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${SUPPORTED.join(', ')}`,
  );
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

/** Returns the patched object (a new copy); `current` is not modified. */
export function applyPatch(type: PatchType, current: KubeObject, body: string): KubeObject {
  if (type === 'merge') {
    const patch = parseJson(body);
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
      throw badRequest('error decoding patch: a merge patch must be a JSON object');
    }
    return mergePatch(current, patch) as KubeObject;
  }
  if (type === 'json') {
    const ops = parseJson(body);
    if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
    try {
      return jsonpatch.applyPatch(structuredClone(current), ops as jsonpatch.Operation[], true, false, true)
        .newDocument as KubeObject;
    } catch (err) {
      const e = err as { name?: string; message?: string; operation?: { path?: string } };
      // Like the real server (handlers/patch.go): any failure to apply, a failed `test` included, is a 422.
      // A resourceVersion precondition that must answer 409 is expressed as metadata.resourceVersion in the patch.
      if (e.name === 'TEST_OPERATION_FAILED') {
        throw new ApiError(422, 'Invalid', `testing value ${e.operation?.path} failed: test failed`);
      }
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${String(e.message).split('\n')[0]}`,
      );
    }
  }
  let applied: unknown;
  try {
    applied = parseYaml(body);
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
  if (applied === null || typeof applied !== 'object' || Array.isArray(applied)) {
    throw badRequest('apply patch must be an object');
  }
  return mergePatch(current, applied) as KubeObject;
}
