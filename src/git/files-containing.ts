// Which files of a commit contain any of a few literal strings: `git grep -l -F` over the commit's tree
// (no checkout, so the bare mirror works too; git reads the packed blobs itself, ~25 ms for 10,000
// manifests). A cheap filter: callers read the files it names to know for sure.
import { openRepoForReading } from './repo-reader.ts';

/** Repo-relative paths of the text files at `commit` that contain any of `needles` literally. */
export async function filesContaining(
  repoDir: string,
  commit: string,
  needles: readonly string[],
): Promise<string[]> {
  const patterns = [...new Set(needles)].filter((n) => n.length > 0 && !/[\n\r\0]/.test(n));
  if (patterns.length === 0) return [];
  // git grep exits 1 with no output when nothing matches; simple-git resolves that with ''
  const raw = await openRepoForReading(repoDir).raw([
    'grep',
    '-l',
    '-z',
    '-F',
    '-I',
    '--no-color',
    ...patterns.flatMap((p) => ['-e', p]),
    commit,
    '--',
  ]);
  const prefix = `${commit}:`;
  return raw
    .split('\0')
    .filter((entry) => entry.length > 0)
    .map((entry) => (entry.startsWith(prefix) ? entry.slice(prefix.length) : entry));
}
