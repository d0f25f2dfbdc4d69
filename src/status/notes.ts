// The default provider: statuses as git notes under refs/notes/flinkops, exactly design.md's
// contract — one JSON object per commit, {"statuses": {"<context>": {"state", "description",
// "updatedAt", "targetUrl"}}} — pushed to the remote when the repository has one. Needs nothing
// but the repository. Other contexts (and any other top-level keys) in the note are preserved.
import { GitNotesStore, NotesStoreError } from '../git/notes-store.ts';
import {
  STATUS_STATES,
  StatusReportError,
  type StatusReporter,
  type StatusState,
  type StatusUpdate,
} from './types.ts';

export const STATUS_NOTES_REF = 'refs/notes/flinkops';

export interface StatusEntry {
  state: StatusState;
  description: string;
  /** ISO-8601 */
  updatedAt: string;
  /** present when the status has a link */
  targetUrl?: string;
}

export interface StatusNote {
  statuses: Record<string, StatusEntry>;
  [other: string]: unknown;
}

export interface NotesReporterOptions {
  repoDir: string;
  ref?: string;
  /** remote to push to; default origin when present; false = local only */
  remote?: string | false;
  /** extra git environment (e.g. the poller's credential header) */
  env?: Record<string, string>;
  secrets?: string[];
}

const TERMINAL_RANK: Record<StatusState, number> = { pending: 0, success: 1, failure: 1, error: 1 };

/**
 * Whether `a` should win over `b` for one context: newest updatedAt; on a tie a final state beats
 * pending, then a fixed order of the rest, so both sides of a merge pick the same entry.
 */
export function statusEntryWins(a: StatusEntry, b: StatusEntry): boolean {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt;
  if (TERMINAL_RANK[a.state] !== TERMINAL_RANK[b.state])
    return TERMINAL_RANK[a.state] > TERMINAL_RANK[b.state];
  return JSON.stringify(a) >= JSON.stringify(b);
}

/** Union of two notes of one commit: per context the newest entry (statusEntryWins). */
export function mergeStatusNotes(local: StatusNote, remote: StatusNote): StatusNote {
  const statuses: Record<string, StatusEntry> = { ...remote.statuses };
  for (const [context, entry] of Object.entries(local.statuses)) {
    const theirs = statuses[context];
    if (!theirs || statusEntryWins(entry, theirs)) statuses[context] = entry;
  }
  return { ...remote, ...local, statuses };
}

/** Accepts any JSON object; a missing or malformed `statuses` map, or malformed entries, are dropped. */
export function parseStatusNote(raw: unknown): StatusNote {
  const obj = raw as Record<string, unknown>;
  const statuses: Record<string, StatusEntry> = {};
  const given = obj.statuses;
  if (given && typeof given === 'object' && !Array.isArray(given)) {
    for (const [context, value] of Object.entries(given as Record<string, unknown>)) {
      const e = value as Partial<StatusEntry> | null;
      if (
        e &&
        typeof e === 'object' &&
        STATUS_STATES.includes(e.state as StatusState) &&
        typeof e.description === 'string' &&
        typeof e.updatedAt === 'string'
      ) {
        const entry: StatusEntry = {
          state: e.state as StatusState,
          description: e.description,
          updatedAt: e.updatedAt,
        };
        if (typeof e.targetUrl === 'string') entry.targetUrl = e.targetUrl;
        statuses[context] = entry;
      }
    }
  }
  return { ...obj, statuses };
}

export class NotesStatusReporter implements StatusReporter {
  readonly provider = 'notes';
  readonly store: GitNotesStore<StatusNote>;

  constructor(options: NotesReporterOptions) {
    this.store = new GitNotesStore<StatusNote>({
      repoDir: options.repoDir,
      ref: options.ref ?? STATUS_NOTES_REF,
      merge: mergeStatusNotes,
      parse: parseStatusNote,
      remote: options.remote,
      env: options.env,
      secrets: options.secrets,
    });
  }

  async report(commit: string, update: StatusUpdate): Promise<void> {
    const entry: StatusEntry = {
      state: update.state,
      description: update.description,
      updatedAt: update.updatedAt ?? new Date().toISOString(),
    };
    if (update.targetUrl) entry.targetUrl = update.targetUrl;
    try {
      await this.store.update(commit, (current) => {
        const note: StatusNote = current ?? { statuses: {} };
        const existing = note.statuses[update.context];
        // a late retry of an older status never overwrites a newer one
        if (existing && !statusEntryWins(entry, existing)) return note;
        return { ...note, statuses: { ...note.statuses, [update.context]: entry } };
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // an unknown commit will not appear by retrying; a lost push race or a network error may pass
      const retryable = !(err instanceof NotesStoreError && /no commit "/.test(message));
      throw new StatusReportError(`git notes ${this.store.ref}: ${message}`, retryable);
    }
  }

  /** The statuses recorded on a commit ({} when none). */
  async read(commit: string): Promise<Record<string, StatusEntry>> {
    return (await this.store.read(commit))?.statuses ?? {};
  }
}
