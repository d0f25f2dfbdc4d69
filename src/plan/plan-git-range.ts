// The one impure edge of src/plan: read base and head from git (no checkout, one cat-file process),
// collect approvals from commit trailers, then call the pure planner. A base of '', the null sha or the
// empty tree means "nothing before" (a full plan of head). Only files changed between base and head
// are read, so an incremental plan costs O(changed files), plus one `git grep` when a deployment
// appears in or vanishes from the changed files (it may still be defined in a file left untouched).
import { BlobReader } from '../git/blob-reader.ts';
import { ABSENT_MODE, type ChangedFile } from '../git/changed-files.ts';
import { filesContaining } from '../git/files-containing.ts';
import { isEmptyRevision, NULL_SHA, resolveCommit } from '../git/read-revision.ts';
import { approvedDeletes } from '../git/trailers.ts';
import { diffCommits } from '../git/tree-diff.ts';
import { collectEntries } from '../manifests/collect-entries.ts';
import {
  type GitFileRef,
  type LoadedManifests,
  type ManifestSourceOptions,
  readManifestFiles,
} from '../manifests/read-manifest-files.ts';
import { manifestPathMatcher } from '../manifests/select-files.ts';
import { planRevision } from './plan-revision.ts';
import type { LedgerSavepoint, Plan } from './types.ts';

export interface PlanGitRangeOptions extends ManifestSourceOptions {
  repoDir: string;
  base: string;
  head: string;
  /** newest ledger savepoint per namespace/name (RESTORE_FROM_LEDGER on re-create) */
  ledger?: ReadonlyMap<string, LedgerSavepoint>;
  /** reads the ledger when `ledger` is not given, only if the plan creates something */
  readLedger?: () => Promise<ReadonlyMap<string, LedgerSavepoint>>;
  /** an open cat-file reader on repoDir to use (and leave open); default one for this call */
  reader?: BlobReader;
}

export interface GitRangeManifests {
  base: string | null;
  head: string;
  before: LoadedManifests;
  after: LoadedManifests;
}

export async function planGitRange(options: PlanGitRangeOptions): Promise<Plan> {
  const read = await readGitRange(options);
  const input = {
    base: read.base ?? NULL_SHA,
    head: read.head,
    before: read.before,
    after: read.after,
    errors: read.after.errors,
  };
  let ledger = options.ledger ?? new Map();
  let draft = planRevision(input, { approvedDeletes: new Set(), ledger });
  // the ledger only changes creates (RESTORE_FROM_LEDGER): read it only when there is one
  if (!options.ledger && options.readLedger && draft.transitions.some((t) => t.change === 'create')) {
    ledger = await options.readLedger();
    draft = planRevision(input, { approvedDeletes: new Set(), ledger });
  }
  // approvals only change deletes: scan the trailers (one more git process) only when there is one
  if (!draft.transitions.some((t) => t.change === 'delete')) return draft;
  const approvals = await approvedDeletes(options.repoDir, read.base, read.head);
  return planRevision(input, { approvedDeletes: approvals, ledger });
}

/**
 * The manifests a plan of base..head needs: everything at head for a full plan, else the changed files
 * (found by walking both trees through the same cat-file process; see src/git/tree-diff.ts).
 */
export async function readGitRange(options: PlanGitRangeOptions): Promise<GitRangeManifests> {
  const full = isEmptyRevision(options.base);
  const reader = options.reader ?? new BlobReader(options.repoDir);
  try {
    const resolved = Promise.all([
      resolveCommit(reader, options.head),
      full ? Promise.resolve(null) : resolveCommit(reader, options.base),
    ]);
    // given two commit ids (the poller's case), the tree walk starts along with their resolution rather
    // than after it (one round trip to git fewer); used only when they resolve to themselves
    const early =
      !full && isObjectId(options.base) && isObjectId(options.head) && options.base !== options.head
        ? diffCommits(reader, options.base, options.head)
        : null;
    early?.catch(() => undefined); // a tag id or an unknown one: resolved below, then walked again
    const [head, base] = await resolved;
    const empty = await readManifestFiles(reader, [], options);
    if (base === null) {
      // every file of head (sizes are asked from git only for the files the globs select)
      const files: GitFileRef[] = (await diffCommits(reader, null, head)).map((f) => ({
        path: f.path,
        oid: f.headOid,
        mode: f.headMode,
      }));
      return { base, head, before: empty, after: await readManifestFiles(reader, files, options) };
    }
    if (base === head) return { base, head, before: empty, after: empty };
    const changes =
      early && base === options.base && head === options.head
        ? await early
        : await diffCommits(reader, base, head);
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
    await joinUntouchedDefinitions(reader, options, head, changes, before, after);
    return { base, head, before, after };
  } finally {
    if (reader !== options.reader) reader.close();
  }
}

/**
 * Only the changed files are read, so a deployment that appears in, or vanishes from, the changed files
 * may still be defined in a file the range did not touch: a manifest copied without a new name, or one
 * of two duplicate definitions removed. That deployment is neither created nor deleted: its untouched
 * definition stands at base and at head alike. At head, a second definition is the same error a full
 * plan reports (nothing is planned for it). At base, a definition the range removed is kept as the
 * "before": a duplicate there planned nothing, and comparing against it shows any change the definition
 * that stays brings instead of hiding it.
 */
async function joinUntouchedDefinitions(
  reader: BlobReader,
  options: PlanGitRangeOptions,
  head: string,
  changes: readonly ChangedFile[],
  before: LoadedManifests,
  after: LoadedManifests,
): Promise<void> {
  const appeared = [...after.entries.values()].filter(
    (e) => !before.entries.has(e.key) && !before.invalidKeys.has(e.key),
  );
  const vanished = [...before.entries.values()].filter(
    (e) => !after.entries.has(e.key) && !after.invalidKeys.has(e.key),
  );
  const moving = [...appeared, ...vanished];
  if (moving.length === 0) return;
  const changed = new Set(changes.map((c) => c.path));
  const selected = manifestPathMatcher(options.globs);
  const paths = (
    await filesContaining(
      options.repoDir,
      head,
      moving.map((e) => e.name),
    )
  ).filter((path) => !changed.has(path) && selected(path) && !/[\n\r]/.test(path));
  if (paths.length === 0) return;
  const infos = await reader.info(paths.map((path) => `${head}:${path}`));
  const files: GitFileRef[] = [];
  paths.forEach((path, i) => {
    const info = infos[i];
    if (info?.type === 'blob') files.push({ path, oid: info.oid, mode: '100644', size: info.size });
  });
  const untouched = await readManifestFiles(reader, files, options);
  for (const entry of moving) {
    const standing = untouched.entries.get(entry.key);
    if (!standing) continue;
    if (!before.entries.has(entry.key)) before.entries.set(entry.key, standing);
    const own = after.entries.get(entry.key);
    if (!own) {
      after.entries.set(entry.key, standing);
      continue;
    }
    after.errors.push(...collectEntries([own, standing]).errors);
    after.invalidKeys.add(entry.key);
    after.entries.delete(entry.key);
  }
}

function isObjectId(revision: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(revision);
}
