// The one impure edge of src/plan: read base and head from git (no checkout, one cat-file process),
// collect approvals from commit trailers, then call the pure planner. A base of '', the null sha or the
// empty tree means "nothing before" (a full plan of head). Only files changed between base and head
// are read, so an incremental plan costs O(changed files).
import { BlobReader } from '../git/blob-reader.ts';
import { ABSENT_MODE, changedFiles } from '../git/changed-files.ts';
import { isEmptyRevision, listTree, NULL_SHA, resolveCommit } from '../git/read-revision.ts';
import { approvedDeletes } from '../git/trailers.ts';
import {
  type GitFileRef,
  type LoadedManifests,
  type ManifestSourceOptions,
  readManifestFiles,
} from '../manifests/read-manifest-files.ts';
import { planRevision } from './plan-revision.ts';
import type { LedgerSavepoint, Plan } from './types.ts';

export interface PlanGitRangeOptions extends ManifestSourceOptions {
  repoDir: string;
  base: string;
  head: string;
  /** newest ledger savepoint per namespace/name (RESTORE_FROM_LEDGER on re-create) */
  ledger?: ReadonlyMap<string, LedgerSavepoint>;
}

export interface GitRangeManifests {
  base: string | null;
  head: string;
  before: LoadedManifests;
  after: LoadedManifests;
}

export async function planGitRange(options: PlanGitRangeOptions): Promise<Plan> {
  let approvals: Promise<Set<string>> = Promise.resolve(new Set());
  const read = await readGitRange(options, (base, head) => {
    // the trailer scan runs while the revisions are resolved and the changed files read
    approvals = approvedDeletes(options.repoDir, base, head);
    approvals.catch(() => {}); // awaited below; reading may fail first (unknown revision)
  });
  return planRevision(
    {
      base: read.base ?? NULL_SHA,
      head: read.head,
      before: read.before,
      after: read.after,
      errors: read.after.errors,
    },
    { approvedDeletes: await approvals, ledger: options.ledger ?? new Map() },
  );
}

/**
 * The manifests a plan of base..head needs: everything at head for a full plan, else the changed files.
 * `git diff` (and the caller's trailer scan, through onStart) start at once with the revisions as given,
 * in parallel with resolving them through cat-file: an unknown revision is still reported as such.
 */
export async function readGitRange(
  options: PlanGitRangeOptions,
  onStart?: (base: string | null, head: string) => void,
): Promise<GitRangeManifests> {
  const { repoDir } = options;
  const full = isEmptyRevision(options.base);
  const reader = new BlobReader(repoDir);
  try {
    const resolved = Promise.all([
      resolveCommit(reader, options.head),
      full ? Promise.resolve(null) : resolveCommit(reader, options.base),
    ]);
    const saneNames = !full && isPlainRevision(options.base) && isPlainRevision(options.head);
    const early = saneNames ? changedFiles(repoDir, options.base, options.head) : null;
    early?.catch(() => {}); // an unknown revision fails here too; resolved reports it properly
    if (saneNames || full) onStart?.(full ? null : options.base, options.head);
    const [head, base] = await resolved;
    if (!saneNames && !full) onStart?.(base, head);
    const empty = await readManifestFiles(reader, [], options);
    if (base === null) {
      const tree = await listTree(repoDir, head);
      const files: GitFileRef[] = tree
        .filter((f) => f.type === 'blob')
        .map((f) => ({ path: f.path, oid: f.oid, mode: f.mode, size: f.size }));
      return { base, head, before: empty, after: await readManifestFiles(reader, files, options) };
    }
    if (base === head) return { base, head, before: empty, after: empty };
    const changes = await (early ?? changedFiles(repoDir, base, head));
    const side = (which: 'base' | 'head'): GitFileRef[] =>
      changes
        .filter((c) => (which === 'base' ? c.baseMode : c.headMode) !== ABSENT_MODE)
        .map((c) => ({
          path: c.path,
          oid: which === 'base' ? c.baseOid : c.headOid,
          mode: which === 'base' ? c.baseMode : c.headMode,
        }));
    const [before, after] = await Promise.all([
      readManifestFiles(reader, side('base'), options),
      readManifestFiles(reader, side('head'), options),
    ]);
    return { base, head, before, after };
  } finally {
    reader.close();
  }
}

/** Revision names safe to hand to git as arguments (never an option, no whitespace). */
function isPlainRevision(revision: string): boolean {
  return /^[^-\s][^\s]*$/.test(revision);
}
