// Public face of the manifest model: read FlinkDeployments from a revision, parse and validate files.

export { collectEntries } from './collect-entries.ts';
export {
  formatFieldPath,
  loadValidator,
  type SchemaIssue,
  validateFlinkDeployment,
} from './crd-validator.ts';
export { loadManifestsAtRevision, manifestAtRevision, type RevisionManifests } from './load-at-revision.ts';
export { DEFAULT_MAX_ALIAS_COUNT, type FileParseResult, parseManifestFile } from './parse-manifest-file.ts';
export {
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_NAMESPACE,
  type GitFileRef,
  type LoadedManifests,
  type ManifestSourceOptions,
  readManifestFiles,
} from './read-manifest-files.ts';
export { DEFAULT_MANIFEST_GLOBS, leavesRepository, manifestPathMatcher } from './select-files.ts';
export * from './types.ts';
