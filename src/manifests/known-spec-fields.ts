// The fields the FlinkDeployment CRD (src/manifests/crds, operator 1.15) defines at the levels of the
// spec people edit by hand. The API server prunes any other field from what it stores (kubectl apply,
// which asks for strict field validation, refuses it), so a misspelt field changes nothing on the
// cluster: the planner classes it as IGNORE and warns instead of restarting a job for it.
// test/unit/known-spec-fields.test.ts checks this table against the CRD itself.

/** dotted path of an object in the manifest -> the field names the CRD defines under it */
export const KNOWN_SPEC_FIELDS: Readonly<Record<string, readonly string[]>> = {
  spec: [
    'flinkConfiguration',
    'flinkVersion',
    'image',
    'imagePullPolicy',
    'ingress',
    'job',
    'jobManager',
    'logConfiguration',
    'mode',
    'podTemplate',
    'restartNonce',
    'serviceAccount',
    'taskManager',
  ],
  'spec.job': [
    'allowNonRestoredState',
    'args',
    'autoscalerResetNonce',
    'checkpointTriggerNonce',
    'entryClass',
    'initialSavepointPath',
    'jarURI',
    'parallelism',
    'savepointRedeployNonce',
    'savepointTriggerNonce',
    'state',
    'upgradeMode',
  ],
  'spec.jobManager': ['podTemplate', 'replicas', 'resource'],
  'spec.taskManager': ['podTemplate', 'replicas', 'resource'],
  'spec.jobManager.resource': ['cpu', 'ephemeralStorage', 'memory'],
  'spec.taskManager.resource': ['cpu', 'ephemeralStorage', 'memory'],
  'spec.ingress': ['annotations', 'className', 'labels', 'template', 'tls'],
};

/** Paths of the fields of a manifest (value: its `spec`) the CRD does not define, at the levels above. */
export function unknownSpecFields(spec: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown, path: string) => {
    const known = KNOWN_SPEC_FIELDS[path];
    if (!known || !value || typeof value !== 'object' || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      const child = `${path}.${key}`;
      if (!known.includes(key)) out.push(child);
      else walk((value as Record<string, unknown>)[key], child);
    }
  };
  walk(spec, 'spec');
  return out.sort();
}

/** The value at a dotted path (`spec.job.parallelsim`) of a manifest, undefined when absent. */
export function valueAtPath(manifest: unknown, path: string): unknown {
  let value = manifest;
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A copy of `spec` without the fields unknownSpecFields reports: what the API server stores. */
export function withoutUnknownSpecFields<T>(spec: T): T {
  const prune = (value: unknown, path: string): unknown => {
    const known = KNOWN_SPEC_FIELDS[path];
    if (!known || !value || typeof value !== 'object' || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (known.includes(key)) out[key] = prune(inner, `${path}.${key}`);
    }
    return out;
  };
  return prune(spec, 'spec') as T;
}
