// All manifests of one revision (full read), and the lookup workers need: the target manifest of
// namespace/name at a commit.
import { BlobReader } from '../git/blob-reader.ts';
import { resolveCommit } from '../git/read-revision.ts';
import { diffCommits } from '../git/tree-diff.ts';
import {
  type LoadedManifests,
  type ManifestSourceOptions,
  readManifestFiles,
} from './read-manifest-files.ts';
import { deploymentKey, type ManifestEntry } from './types.ts';

export interface RevisionManifests extends LoadedManifests {
  /** full sha of the commit read */
  commit: string;
}

/** Reads every manifest file of a revision (no checkout; works on bare repositories). */
export async function loadManifestsAtRevision(
  repoDir: string,
  revision: string,
  options: ManifestSourceOptions = {},
): Promise<RevisionManifests> {
  const reader = new BlobReader(repoDir);
  try {
    const commit = await resolveCommit(reader, revision);
    // the tree is walked through the same cat-file process: one git process per load
    const files = (await diffCommits(reader, null, commit)).map((f) => ({
      path: f.path,
      oid: f.headOid,
      mode: f.headMode,
    }));
    const loaded = await readManifestFiles(reader, files, options);
    return { ...loaded, commit };
  } finally {
    reader.close();
  }
}

/** The manifest of namespace/name at a revision, or null when it is absent or invalid there. */
export async function manifestAtRevision(
  repoDir: string,
  revision: string,
  namespace: string,
  name: string,
  options: ManifestSourceOptions = {},
): Promise<ManifestEntry | null> {
  const loaded = await loadManifestsAtRevision(repoDir, revision, options);
  return loaded.entries.get(deploymentKey(namespace, name)) ?? null;
}
