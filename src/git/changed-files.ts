// Which files differ between two commits, with both blob ids and modes, straight from
// `git diff --raw -z --no-renames` (the --name-status information plus what is needed to read the blobs
// without a second lookup). Renames are deliberately off: a move is a delete plus an add, and the
// planner pairs deployments by namespace/name, so a moved manifest becomes an update or nothing.
import { openRepoForReading } from './repo-reader.ts';

export interface ChangedFile {
  /** A added, D deleted, M modified, T type changed (e.g. file <-> symlink) */
  status: string;
  path: string;
  /** mode/oid at base; mode '000000' and the null oid when the file is new */
  baseMode: string;
  baseOid: string;
  headMode: string;
  headOid: string;
}

export const ABSENT_MODE = '000000';

export async function changedFiles(repoDir: string, base: string, head: string): Promise<ChangedFile[]> {
  const raw = await openRepoForReading(repoDir).raw([
    'diff',
    '--raw',
    '-z',
    '--no-renames',
    '--no-abbrev',
    '--no-ext-diff',
    '--no-textconv',
    base,
    head,
    '--',
  ]);
  return parseRawDiff(raw);
}

/** Parses `:<mode> <mode> <oid> <oid> <status> NUL <path> NUL` records. */
export function parseRawDiff(raw: string): ChangedFile[] {
  const parts = raw.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i];
    if (!meta.startsWith(':')) break;
    const [baseMode, headMode, baseOid, headOid, status] = meta.slice(1).split(' ');
    files.push({ status: status.charAt(0), path: parts[i + 1], baseMode, baseOid, headMode, headOid });
  }
  return files;
}
