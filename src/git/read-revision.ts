// Reading a revision without a checkout: resolve names to commits and list the files of a commit's
// tree with their modes and sizes (`git ls-tree -r -z --long`), so callers can skip symlinks and
// oversized files before reading any content.
import { BlobReader } from './blob-reader.ts';
import { openRepoForReading } from './repo-reader.ts';

/** git's well-known id of the empty tree: "nothing before". */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** The all-zero id git hooks use for "no commit"; flinkops prints it as `base` of a full plan. */
export const NULL_SHA = '0000000000000000000000000000000000000000';

/** A revision the user gave that git cannot resolve: a usage error (exit 2), not a manifest error. */
export class UnknownRevisionError extends Error {
  constructor(
    readonly revision: string,
    readonly repoDir: string,
  ) {
    super(`unknown revision ${JSON.stringify(revision)} in ${repoDir} (not a commit git can resolve there)`);
    this.name = 'UnknownRevisionError';
  }
}

/** '', the null sha and the empty tree all mean "nothing before" (a full plan). */
export function isEmptyRevision(revision: string): boolean {
  const trimmed = revision.trim();
  return trimmed === '' || trimmed === NULL_SHA || trimmed === EMPTY_TREE;
}

/** Resolves a revision to a full commit sha through an open reader, or throws UnknownRevisionError. */
export async function resolveCommit(reader: BlobReader, revision: string): Promise<string> {
  if (revision.startsWith('-') || /[\n\r\0]/.test(revision))
    throw new UnknownRevisionError(revision, reader.repoDir);
  const oid = await reader.resolveCommit(revision);
  if (!oid) throw new UnknownRevisionError(revision, reader.repoDir);
  return oid;
}

export interface TreeFile {
  /** git mode as text: 100644, 100755, 120000 (symlink), 160000 (submodule) ... */
  mode: string;
  type: string;
  oid: string;
  /** bytes; -1 for entries without a size (submodules) */
  size: number;
  /** repo-relative path as git stores it */
  path: string;
}

export const SYMLINK_MODE = '120000';
export const SUBMODULE_MODE = '160000';

/** Every file of a commit's tree (recursive), without reading contents. */
export async function listTree(repoDir: string, commit: string): Promise<TreeFile[]> {
  const raw = await openRepoForReading(repoDir).raw(['ls-tree', '-r', '-z', '--long', '--full-tree', commit]);
  return parseLsTree(raw);
}

/** Parses `<mode> SP <type> SP <oid> SP+ <size> TAB <path> NUL` records. */
export function parseLsTree(raw: string): TreeFile[] {
  const files: TreeFile[] = [];
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf('\0', start);
    if (end < 0) end = raw.length;
    const record = raw.slice(start, end);
    start = end + 1;
    if (record.length === 0) continue;
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, oid, sizeText] = record.slice(0, tab).split(/ +/);
    files.push({
      mode,
      type,
      oid,
      size: sizeText === '-' ? -1 : Number(sizeText),
      path: record.slice(tab + 1),
    });
  }
  return files;
}

export { BlobReader };
