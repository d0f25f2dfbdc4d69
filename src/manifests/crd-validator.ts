// Validation against the operator's own CRD (openAPIV3Schema of flinkdeployments.flink.apache.org, copied
// unmodified into ./crds). Compiling that 10,000-line schema with ajv costs seconds, so the compiled
// validator is generated once as standalone code and cached on disk, keyed by a hash of the CRD text and
// the ajv version: every later process loads it in a fraction of the time (see README "Benchmarks: planning").
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv, { type ErrorObject } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { parse } from 'yaml';
import { logger } from '../log.ts';

const CRD_PATH = fileURLToPath(new URL('./crds/flinkdeployments.flink.apache.org-v1.yml', import.meta.url));
const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/flinkops/', import.meta.url));
/** bump when the way the schema is prepared or compiled changes, so stale caches are not reused */
const PREPARATION_VERSION = 'v1';

export interface SchemaIssue {
  /** path segments of the offending value (array indexes as numbers) */
  path: (string | number)[];
  message: string;
}

type ValidateFn = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

let cached: ValidateFn | null = null;
let loading: Promise<ValidateFn> | null = null;

/** Validates one parsed FlinkDeployment document; [] when it conforms. */
export async function validateFlinkDeployment(doc: unknown): Promise<SchemaIssue[]> {
  const validate = cached ?? (await loadValidator());
  return runValidator(validate, doc);
}

/** Loads (or compiles and caches) the validator once per process. */
export function loadValidator(): Promise<ValidateFn> {
  if (cached) return Promise.resolve(cached);
  loading ??= loadOrCompile().then((fn) => {
    cached = fn;
    return fn;
  });
  return loading;
}

/** Synchronous use after loadValidator() resolved (hot loops avoid an await per document). */
export function validateLoaded(validate: ValidateFn, doc: unknown): SchemaIssue[] {
  return runValidator(validate, doc);
}

function runValidator(validate: ValidateFn, doc: unknown): SchemaIssue[] {
  if (validate(doc)) return [];
  return summarise(validate.errors ?? []);
}

async function loadOrCompile(): Promise<ValidateFn> {
  const crdText = readFileSync(CRD_PATH, 'utf8');
  const ajvVersion = (createRequire(import.meta.url)('ajv/package.json') as { version: string }).version;
  const hash = createHash('sha256').update(`${PREPARATION_VERSION}\0${ajvVersion}\0${crdText}`).digest('hex');
  const cacheDir = process.env.FLINKOPS_CACHE_DIR ?? DEFAULT_CACHE_DIR;
  const file = join(cacheDir, `flinkdeployment-validator-${hash.slice(0, 20)}.mjs`);
  try {
    return (await import(pathToFileURL(file).href)).validate as ValidateFn;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const { ajv, validate } = compile(crdText);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, absoluteRuntimeImports(standaloneCode.default(ajv, validate)));
    // rename is atomic: concurrent processes never load a half-written module
    renameSync(tmp, file);
  } catch (err) {
    logger.warn({ err, cacheDir }, 'could not cache the compiled CRD validator; compiling on every start');
  }
  return validate as ValidateFn;
}

function compile(crdText: string) {
  const crd = parse(crdText) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  const version = crd.spec.versions.find((v) => v.name === 'v1beta1') ?? crd.spec.versions[0];
  const schema = prepareKubernetesSchema(version.schema.openAPIV3Schema);
  // strict:false because the schema carries x-kubernetes-* keywords ajv does not know
  const ajv = new Ajv.default({ strict: false, allErrors: true, code: { source: true, esm: true } });
  return { ajv, validate: ajv.compile(schema) };
}

/**
 * Gives the Kubernetes schema extensions their API-server meaning for ajv:
 * x-kubernetes-int-or-string without an explicit anyOf accepts an integer or a string;
 * x-kubernetes-preserve-unknown-fields keeps any content (ajv allows unknown properties by default,
 * and an untyped preserve node accepts anything, which is what the API server does too).
 */
export function prepareKubernetesSchema(node: unknown): Record<string, unknown> {
  if (Array.isArray(node)) return node.map(prepareKubernetesSchema) as unknown as Record<string, unknown>;
  if (!node || typeof node !== 'object') return node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    out[key] =
      key === 'enum' || key === 'default' || key === 'example' ? value : prepareKubernetesSchema(value);
  }
  if (out['x-kubernetes-int-or-string'] === true && !out.anyOf && !out.oneOf) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

/** The generated module imports ajv runtime helpers by package name; the cache dir may not see node_modules. */
function absoluteRuntimeImports(code: string): string {
  const require = createRequire(import.meta.url);
  return code.replace(/(["'])(ajv\/dist\/[^"']+)\1/g, (_m, quote: string, spec: string) => {
    return `${quote}${pathToFileURL(require.resolve(spec)).href}${quote}`;
  });
}

function decodePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}

/** One issue per offending value, phrased for people (anyOf noise of int-or-string folded into one line). */
function summarise(errors: ErrorObject[]): SchemaIssue[] {
  const byPath = new Map<string, { path: (string | number)[]; messages: string[] }>();
  const add = (path: (string | number)[], message: string) => {
    const key = JSON.stringify(path);
    const slot = byPath.get(key) ?? { path, messages: [] };
    if (!slot.messages.includes(message)) slot.messages.push(message);
    byPath.set(key, slot);
  };
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const error of errors) {
    const path = decodePointer(error.instancePath);
    if (error.keyword === 'required') {
      add([...path, (error.params as { missingProperty: string }).missingProperty], 'is required');
    } else if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ');
      add(path, `must be one of: ${allowed}`);
    } else if (error.keyword === 'anyOf') {
      // the branch errors at the same path already say what was expected
    } else if (error.keyword === 'type' && anyOfPaths.has(error.instancePath)) {
      add(path, `must be ${(error.params as { type: string }).type}`);
    } else {
      add(path, error.message ?? error.keyword);
    }
  }
  return [...byPath.values()].map(({ path, messages }) => ({ path, message: messages.join(' or ') }));
}

/** `spec.job.args[0]` style for error messages. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(document)';
}
