// Reads a set of git files (path, blob id, mode, size) through one cat-file process and parses the
// manifest files among them. Every problem becomes a ManifestError; none stops the rest.
import { TextDecoder } from 'node:util';
import type { BlobReader } from '../git/blob-reader.ts';
import { SUBMODULE_MODE, SYMLINK_MODE } from '../git/read-revision.ts';
import { collectEntries } from './collect-entries.ts';
import { loadValidator, type SchemaIssue, validateLoaded } from './crd-validator.ts';
import { DEFAULT_MAX_ALIAS_COUNT, type FileParseResult, parseManifestFile } from './parse-manifest-file.ts';
import { leavesRepository, manifestPathMatcher } from './select-files.ts';
import type { ManifestEntry, ManifestError } from './types.ts';

export interface ManifestSourceOptions {
  /** picomatch globs selecting manifest files; default every *.yaml/*.yml outside dot-folders */
  globs?: readonly string[];
  /** namespace of manifests without metadata.namespace (default 'default') */
  defaultNamespace?: string;
  /** files larger than this are rejected unread (default 1 MiB) */
  maxFileBytes?: number;
  /** alias expansions allowed per document (default 50) */
  maxAliasCount?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_NAMESPACE = 'default';

export interface GitFileRef {
  path: string;
  oid: string;
  mode: string;
  /** bytes when already known (ls-tree --long); otherwise asked from git before reading */
  size?: number;
}

/** The deployments found in a set of files, keyed by namespace/name. */
export interface LoadedManifests {
  entries: Map<string, ManifestEntry>;
  errors: ManifestError[];
  /** keys present in the files but not usable (schema violation, duplicate): plan nothing for them */
  invalidKeys: Set<string>;
  /** files with a document whose identity could not be read: deletes from them are not planned */
  unreadableFiles: Set<string>;
  /** repo-relative paths that were considered (matched the globs) */
  files: string[];
}

export async function readManifestFiles(
  reader: BlobReader,
  files: readonly GitFileRef[],
  options: ManifestSourceOptions = {},
): Promise<LoadedManifests> {
  const matches = manifestPathMatcher(options.globs);
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const validate = await loadValidator();
  const parseOptions = {
    defaultNamespace: options.defaultNamespace ?? DEFAULT_NAMESPACE,
    maxAliasCount: options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT,
    validate: (doc: unknown): SchemaIssue[] => validateLoaded(validate, doc),
  };
  const errors: ManifestError[] = [];
  const invalidKeys = new Set<string>();
  const unreadableFiles = new Set<string>();
  const considered: string[] = [];
  const toRead: GitFileRef[] = [];
  const fileError = (file: string, message: string) => {
    errors.push({ file, line: 1, column: 1, message });
    unreadableFiles.add(file);
  };

  const candidates = files.filter((f) => matches(f.path) && f.mode !== SUBMODULE_MODE);
  const unsized = candidates.filter((f) => f.size === undefined && f.mode !== SYMLINK_MODE);
  if (unsized.length > 0) {
    const infos = await reader.info(unsized.map((f) => f.oid));
    unsized.forEach((f, i) => {
      f.size = infos[i]?.size ?? -1;
    });
  }
  for (const file of candidates) {
    considered.push(file.path);
    if (leavesRepository(file.path)) fileError(file.path, 'path leaves the repository: not read');
    else if (file.mode === SYMLINK_MODE)
      fileError(file.path, 'symbolic link: flinkops reads manifests from regular files only');
    else if ((file.size ?? -1) > maxBytes) {
      fileError(
        file.path,
        `file is ${file.size} bytes, over the ${maxBytes}-byte limit for a manifest file: not read`,
      );
    } else toRead.push(file);
  }

  const contents = reader.contentsEach(toRead.map((f) => f.oid));
  // a rejected answer must not go unhandled while earlier files are still being parsed
  for (const answer of contents) answer.catch(() => {});
  const entries: ManifestEntry[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [i, file] of toRead.entries()) {
    const blob = await contents[i];
    if (blob?.type !== 'blob') {
      fileError(file.path, `cannot read ${file.oid} from git: unreadable file`);
      continue;
    }
    if (blob.content.subarray(0, 8000).includes(0)) {
      fileError(file.path, 'binary file (NUL bytes): not a manifest');
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(blob.content);
    } catch {
      fileError(file.path, 'not valid UTF-8: unreadable file');
      continue;
    }
    const parsed: FileParseResult = parseManifestFile(file.path, text, parseOptions);
    entries.push(...parsed.entries);
    errors.push(...parsed.errors);
    for (const key of parsed.invalidKeys) invalidKeys.add(key);
    if (parsed.unreadable) unreadableFiles.add(file.path);
  }

  const collected = collectEntries(entries);
  for (const key of collected.duplicateKeys) invalidKeys.add(key);
  errors.push(...collected.errors);
  errors.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
  return { entries: collected.byKey, errors, invalidKeys, unreadableFiles, files: considered };
}
