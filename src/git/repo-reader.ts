// simple-git for the ordinary, bounded git calls that read a repository (ls-tree, diff, log).
// Reading only: nothing here checks out, fetches or writes, so a bare mirror works as well as a clone.
import { type SimpleGit, simpleGit } from 'simple-git';

/** `git diff`/`ls-tree` on a tree with 10,000 files fits comfortably; anything slower is stuck. */
const READ_TIMEOUT_MS = 60_000;

export function openRepoForReading(repoDir: string): SimpleGit {
  return simpleGit({
    baseDir: repoDir,
    trimmed: false,
    timeout: { block: READ_TIMEOUT_MS },
    config: ['core.quotePath=false'],
  });
}
