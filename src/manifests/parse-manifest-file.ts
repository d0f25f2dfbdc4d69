// One manifest file -> the FlinkDeployments in it, plus an error with file/line/column for every bad
// document. YAML 1.2 core schema, decided explicitly: `yes`/`on` stay strings and `<<` is an ordinary key,
// exactly as the `yaml` package reads them by default (Kubernetes' 1.1-style booleans are not emulated).
import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import { formatFieldPath, type SchemaIssue } from './crd-validator.ts';
import { fastParseYaml } from './fast-yaml.ts';
import {
  deploymentKey,
  FLINK_API_VERSION,
  FLINK_DEPLOYMENT_KIND,
  type FlinkDeployment,
  type ManifestEntry,
  type ManifestError,
} from './types.ts';
import { documentStart, positionOfPath } from './yaml-position.ts';

export interface ParseOptions {
  defaultNamespace: string;
  /** alias expansions allowed per document before it is rejected as an alias bomb */
  maxAliasCount: number;
  /** schema validation (the loaded CRD validator) */
  validate: (doc: unknown) => SchemaIssue[];
}

export interface FileParseResult {
  entries: ManifestEntry[];
  errors: ManifestError[];
  /** namespace/name of deployments present but invalid: the planner must leave them alone */
  invalidKeys: string[];
  /** true when some document could not be read at all (its identity is unknown) */
  unreadable: boolean;
}

export const DEFAULT_MAX_ALIAS_COUNT = 50;

export function parseManifestFile(file: string, text: string, options: ParseOptions): FileParseResult {
  const fast = fastParseYaml(text);
  if (fast) {
    const result: FileParseResult = { entries: [], errors: [], invalidKeys: [], unreadable: false };
    for (const doc of fast) {
      const start = { line: doc.line, column: doc.column };
      acceptDocument(file, doc.value, start, options, result, () => start);
    }
    // errors need the exact node positions only the full parser keeps: read the file again with it
    if (result.errors.length === 0) return result;
  }
  return parseWithYaml(file, text, options);
}

/** The full `yaml` parser: the authority for unusual files and for every error's position. */
export function parseWithYaml(file: string, text: string, options: ParseOptions): FileParseResult {
  const result: FileParseResult = { entries: [], errors: [], invalidKeys: [], unreadable: false };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    version: '1.2',
    schema: 'core',
    merge: false,
    uniqueKeys: true,
  });
  if (!Array.isArray(docs)) return result; // an empty stream (only comments/whitespace)
  for (const doc of docs) readDocument(file, doc, lineCounter, options, result);
  return result;
}

function readDocument(
  file: string,
  doc: Document,
  lineCounter: LineCounter,
  options: ParseOptions,
  result: FileParseResult,
): void {
  const start = documentStart(doc, lineCounter);
  const fail = (line: number, column: number, message: string) => {
    result.errors.push({ file, line, column, message });
  };
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    fail(pos.line, pos.col, `invalid YAML: ${firstLine(error.message)}`);
    result.unreadable = true;
    return;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const aliasBomb = /alias/i.test(message);
    fail(
      start.line,
      start.column,
      aliasBomb
        ? `YAML aliases expand too much (more than ${options.maxAliasCount} alias uses): rejected as an alias bomb`
        : `invalid YAML: ${firstLine(message)}`,
    );
    result.unreadable = true;
    return;
  }
  acceptDocument(file, value, start, options, result, (path) => positionOfPath(doc, lineCounter, path));
}

/**
 * Keeps FlinkDeployments, ignores other kinds, reports missing names and schema violations.
 * Shared with the fast reader, which hands in plain values and computes positions lazily.
 */
export function acceptDocument(
  file: string,
  value: unknown,
  start: { line: number; column: number },
  options: ParseOptions,
  result: FileParseResult,
  positionOf: (path: (string | number)[]) => { line: number; column: number },
): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return; // empty or not a Kubernetes object
  const object = value as Record<string, unknown>;
  if (object.kind !== FLINK_DEPLOYMENT_KIND) return;
  if (object.apiVersion !== FLINK_API_VERSION) {
    if (typeof object.apiVersion === 'string' && object.apiVersion.startsWith('flink.apache.org/')) {
      const pos = positionOf(['apiVersion']);
      result.errors.push({
        file,
        ...pos,
        message: `FlinkDeployment with apiVersion ${object.apiVersion}: flinkops reads ${FLINK_API_VERSION} only`,
      });
      result.unreadable = true;
    }
    return;
  }
  const metadata = object.metadata as Record<string, unknown> | undefined;
  const name = metadata && typeof metadata === 'object' ? metadata.name : undefined;
  if (typeof name !== 'string' || name.length === 0) {
    const pos = positionOf(['metadata', 'name']);
    result.errors.push({
      file,
      ...pos,
      message: 'FlinkDeployment without metadata.name: cannot tell which deployment it is',
    });
    result.unreadable = true;
    return;
  }
  const rawNamespace = metadata?.namespace;
  const namespace =
    typeof rawNamespace === 'string' && rawNamespace.length > 0 ? rawNamespace : options.defaultNamespace;
  // the API server refuses such names, and a '/' would make namespace/name (and approvals) ambiguous
  const badIdentity = invalidName(
    name,
    namespace,
    typeof rawNamespace === 'string' && rawNamespace.length > 0,
  );
  if (badIdentity) {
    result.errors.push({ file, ...positionOf(badIdentity.path), message: badIdentity.message });
    result.unreadable = true;
    return;
  }
  const key = deploymentKey(namespace, name);
  const issues = options.validate(object);
  if (issues.length > 0) {
    for (const issue of issues) {
      const pos = positionOf(issue.path);
      result.errors.push({
        file,
        ...pos,
        message: `FlinkDeployment ${key}: ${formatFieldPath(issue.path)} ${issue.message} (CRD schema)`,
      });
    }
    result.invalidKeys.push(key);
    return;
  }
  result.entries.push({
    namespace,
    name,
    key,
    file,
    line: start.line,
    column: start.column,
    manifest: object as unknown as FlinkDeployment,
  });
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' rules for an object's name (RFC 1123 subdomain) and namespace (RFC 1123 label). */
function invalidName(
  name: string,
  namespace: string,
  namespaceInManifest: boolean,
): { path: string[]; message: string } | null {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return {
      path: ['metadata', 'name'],
      message: `FlinkDeployment metadata.name ${JSON.stringify(name)} is not a valid Kubernetes name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (at most 253)`,
    };
  }
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    return {
      path: namespaceInManifest ? ['metadata', 'namespace'] : ['metadata', 'name'],
      message: `FlinkDeployment ${name}: namespace ${JSON.stringify(namespace)} is not a valid Kubernetes namespace: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (at most 63)`,
    };
  }
  return null;
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}
