// The durable format of the savepoint ledger: one git note per triggering commit under
// refs/notes/flinkops-ledger, holding {"entries": [LedgerEntry, ...]}. Two copies of a note (local
// and remote) merge as the union of their entries; an entry is identified by (namespace, name, path).
import type { LedgerEntry } from './types.ts';

export const LEDGER_NOTES_REF = 'refs/notes/flinkops-ledger';

export interface LedgerNote {
  entries: LedgerEntry[];
}

export function entryKey(entry: Pick<LedgerEntry, 'namespace' | 'name' | 'path'>): string {
  return `${entry.namespace}/${entry.name}|${entry.path}`;
}

const STEPS = new Set(['savepoint', 'savepoint-suspend', 'guarded-delete', 'suspend', 'observed']);

/** Validates one entry; throws with the field that is wrong so a hand-edited note can be fixed. */
export function parseEntry(raw: unknown): LedgerEntry {
  const e = raw as Record<string, unknown>;
  for (const field of ['namespace', 'name', 'path', 'takenAt', 'commit', 'step'] as const) {
    if (typeof e?.[field] !== 'string' || e[field] === '')
      throw new Error(`ledger entry without a string "${field}": ${JSON.stringify(raw)}`);
  }
  if (!STEPS.has(e.step as string)) throw new Error(`ledger entry with unknown step "${String(e.step)}"`);
  return {
    namespace: e.namespace as string,
    name: e.name as string,
    path: e.path as string,
    takenAt: e.takenAt as string,
    commit: e.commit as string,
    step: e.step as LedgerEntry['step'],
    ...(typeof e.jobId === 'string' ? { jobId: e.jobId } : {}),
  };
}

export function parseNote(raw: unknown): LedgerNote {
  const entries = (raw as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw new Error('a ledger note needs an "entries" array');
  return { entries: entries.map(parseEntry) };
}

/** Adds an entry unless one with the same (namespace, name, path) is there: recording is idempotent. */
export function withEntry(note: LedgerNote | null, entry: LedgerEntry): LedgerNote {
  const entries = note?.entries ?? [];
  if (entries.some((e) => entryKey(e) === entryKey(entry))) return { entries };
  return { entries: [...entries, entry] };
}

/** Union of two versions of one commit's note (the first-seen copy of an entry wins), oldest first. */
export function mergeNotes(local: LedgerNote, remote: LedgerNote): LedgerNote {
  const byKey = new Map<string, LedgerEntry>();
  for (const e of [...local.entries, ...remote.entries])
    if (!byKey.has(entryKey(e))) byKey.set(entryKey(e), e);
  return {
    entries: [...byKey.values()].sort(
      (a, b) => a.takenAt.localeCompare(b.takenAt) || entryKey(a).localeCompare(entryKey(b)),
    ),
  };
}

/** Newest first (ties broken by path so the order is stable). */
export function newestFirst(entries: LedgerEntry[]): LedgerEntry[] {
  return [...entries].sort((a, b) => b.takenAt.localeCompare(a.takenAt) || b.path.localeCompare(a.path));
}

/** The newest savepoint of each namespace/name: what a re-created deployment restores from. */
export function newestPerDeployment(
  entries: LedgerEntry[],
): Map<string, Pick<LedgerEntry, 'path' | 'takenAt' | 'commit' | 'step'>> {
  const out = new Map<string, Pick<LedgerEntry, 'path' | 'takenAt' | 'commit' | 'step'>>();
  for (const entry of newestFirst(entries)) {
    const key = `${entry.namespace}/${entry.name}`;
    if (!out.has(key))
      out.set(key, { path: entry.path, takenAt: entry.takenAt, commit: entry.commit, step: entry.step });
  }
  return out;
}
