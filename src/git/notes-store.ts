// A store of ONE JSON object per commit under a git notes ref (refs/notes/flinkops for commit
// statuses, refs/notes/flinkops-ledger for the savepoint ledger).
//
// Why not plain `git notes add`: it updates the notes ref without checking its old value, so two
// writers that read the same notes commit both "win" and the first one's change is lost. Every
// update here is a compare-and-swap instead: the notes we read at commit <old> are mutated and
// written as a new notes commit whose parent is <old> by one `git fast-import`, which moves the ref
// only as a fast-forward of its current value, checked and updated in one ref transaction (fast-import
// also handles the notes fan-out). A writer that lost the race re-reads and re-applies its mutation.
// Updates are group-committed: every update requested while one is being written goes into the next
// notes commit together, so a burst of N updates costs three git processes, not 8N.
// With a remote, the ref is pushed without force; a rejected push fetches the remote
// notes, merges them per commit with the caller's merge function (union, never "last push wins")
// and pushes again. Every loop is bounded in attempts and each git call has a timeout.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { childLogger } from '../log.ts';

export interface NotesStoreOptions<T extends object> {
  /** work tree or bare repository holding the notes */
  repoDir: string;
  /** full notes ref, e.g. refs/notes/flinkops */
  ref: string;
  /**
   * Combines two versions of one commit's object when local and remote notes diverged
   * (e.g. statuses: per context, the newest updatedAt wins; ledger: union of entries).
   * Must be commutative enough that both sides converge; it is never given null.
   */
  merge: (local: T, remote: T) => T;
  /** validates/normalises a parsed note; throw to reject it (default: any JSON object) */
  parse?: (raw: unknown) => T;
  /**
   * Remote to push the notes ref to. Default: "origin" when the repository has it; false: local only.
   */
  remote?: string | false;
  /** extra environment for git (e.g. the poller mirror's credential header through GIT_CONFIG_*) */
  env?: Record<string, string>;
  /** strings never to appear in errors or logs (tokens) besides user:password@ in URLs */
  secrets?: string[];
  /** attempts for the local compare-and-swap loop (default 25) */
  maxLocalAttempts?: number;
  /** attempts for the push / fetch-merge loop (default 10) */
  maxPushAttempts?: number;
  /** per git call, milliseconds without output before the process is killed (default 60 s) */
  timeoutMs?: number;
  /** identity for notes commits (default flinkops <flinkops@localhost>) */
  identity?: { name: string; email: string };
}

export class NotesStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotesStoreError';
  }
}

/**
 * Temp refs come and go by the hundred under concurrency: no reflogs for them, and a long wait
 * for the packed-refs lock that every ref deletion takes (the default 1 s fails under load).
 */
const GIT_CONFIG = ['core.logAllRefUpdates=false', 'core.packedRefsTimeout=30000'];
const ZERO_OID = '0000000000000000000000000000000000000000';
const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** git says these when a push lost a race (remote moved, or its ref lock was held): merge and retry */
const PUSH_RACE_RE =
  /\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to lock|failed to update ref|stale info|incorrect old value|\[remote rejected\]/i;

let snapshotCounter = 0;

/** updates written in one notes commit at most (their mutations all run in one pass) */
const MAX_GROUP_COMMIT = 500;
/** git fans notes out two hex digits per level as they grow; three levels hold billions of notes */
const MAX_FANOUT_DEPTH = 3;

interface NotesLookup {
  /** commit -> its note's text and every path it sits at (more than one only in a damaged tree) */
  notes: Map<string, { text: string; paths: string[] }>;
  /** the commits (of those asked) this repository has */
  commits: Set<string>;
}

interface WaitingWrite<T> {
  oid: string;
  mutate: (current: T | null) => T | null;
  resolve: (written: T | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Writers in one process queue per repository+ref: compare-and-swap keeps separate processes
 * correct, but letting a dozen local promises race for the same ref only burns git processes.
 */
const localQueues = new Map<string, Promise<unknown>>();

function serialized<R>(key: string, fn: () => Promise<R>): Promise<R> {
  const prev = localQueues.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  localQueues.set(key, tail);
  void tail.then(() => {
    if (localQueues.get(key) === tail) localQueues.delete(key);
  });
  return run;
}

export class GitNotesStore<T extends object> {
  readonly ref: string;
  private readonly git: SimpleGit;
  private readonly env: Record<string, string>;
  private readonly log;
  private remoteName: string | null | undefined;
  private readonly queueKey: string;
  /** a push queued but not started yet: it will carry every local change made before it starts */
  private queuedPush: Promise<void> | null = null;
  private pushChain: Promise<unknown> = Promise.resolve();
  private pruned = false;
  /** updates waiting for the next group commit */
  private waitingWrites: WaitingWrite<T>[] = [];
  private draining = false;
  private readonly identity: { name: string; email: string };

  constructor(private readonly options: NotesStoreOptions<T>) {
    if (!/^refs\/notes\/[A-Za-z0-9._/-]+$/.test(options.ref) || options.ref.includes('..')) {
      throw new NotesStoreError(`notes ref "${options.ref}" must be a full ref under refs/notes/`);
    }
    this.ref = options.ref;
    this.queueKey = `${resolvePath(options.repoDir)}\0${options.ref}`;
    const identity = options.identity ?? { name: 'flinkops', email: 'flinkops@localhost' };
    this.identity = identity;
    this.env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? options.repoDir,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
      ...options.env,
    };
    const allow = Object.keys(this.env).filter((k) => /^git/i.test(k));
    this.git = simpleGit({
      baseDir: options.repoDir,
      allowEnvironment: allow,
      config: GIT_CONFIG,
      // only our own GIT_CONFIG_* entries (credential header) can be present; nothing user-supplied
      unsafe: { allowUnsafeConfigEnvCount: true },
      timeout: { block: options.timeoutMs ?? 60_000 },
    }).env(this.env);
    this.log = childLogger({ component: 'notes-store', ref: options.ref });
    if (options.remote === false) this.remoteName = null;
  }

  /** The object stored for a commit, or null when the commit has no note under this ref. */
  async read(commit: string): Promise<T | null> {
    const oid = await this.resolveCommit(commit);
    const at = await this.resolveRef(this.ref);
    if (!at) return null;
    const note = (await this.notesAt(at, [oid])).notes.get(oid);
    return note ? this.parseText(note.text, oid) : null;
  }

  /** Commits (full shas) that have a note under this ref. */
  async list(): Promise<string[]> {
    if (!(await this.resolveRef(this.ref))) return [];
    return [...(await this.notesOf(this.ref)).keys()];
  }

  /**
   * Every note under this ref at once (commit -> object): one `notes list` and one
   * `cat-file --batch` whatever the number of notes, for rebuilding caches.
   */
  async readAll(): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (!(await this.resolveRef(this.ref))) return out;
    const notes = await this.notesOf(this.ref);
    if (notes.size === 0) return out;
    const blobs = await this.catBlobs([...new Set(notes.values())]);
    for (const [commit, blob] of notes) {
      const text = blobs.get(blob);
      if (text === undefined)
        throw new NotesStoreError(`${this.ref}: the note blob ${blob} of ${commit} is missing`);
      out.set(commit, this.parseText(text, commit));
    }
    return out;
  }

  /**
   * Read-modify-write of one commit's object. `mutate` gets the current object (null when none)
   * and returns the next one (null removes the note); it may run several times when other writers
   * interfere, so it must be a pure function of its input. Resolves with what was written after
   * the local ref moved and, when there is a remote, after the push succeeded. Updates requested
   * while another is being written share the next notes commit (in the order they were requested).
   */
  async update(commit: string, mutate: (current: T | null) => T | null): Promise<T | null> {
    const oid = await this.resolveCommit(commit);
    const written = await new Promise<T | null>((resolve, reject) => {
      this.waitingWrites.push({ oid, mutate, resolve, reject });
      this.drainWrites();
    });
    await this.requestPush();
    return written;
  }

  /** Coalesces pushes: callers that arrive while one is waiting share it. */
  private requestPush(): Promise<void> {
    if (this.queuedPush) return this.queuedPush;
    const next = this.pushChain.then(() => {
      this.queuedPush = null;
      return this.push();
    });
    this.queuedPush = next;
    this.pushChain = next.catch(() => undefined);
    return next;
  }

  /** Writes everything waiting, batch after batch, one writer per repository+ref in this process. */
  private drainWrites(): void {
    if (this.draining) return;
    this.draining = true;
    void serialized(this.queueKey, async () => {
      while (this.waitingWrites.length > 0) {
        const batch = this.waitingWrites.splice(0, MAX_GROUP_COMMIT);
        await this.writeBatch(batch).catch((err) => {
          for (const w of batch) w.reject(err);
        });
      }
    }).finally(() => {
      this.draining = false;
      if (this.waitingWrites.length > 0) this.drainWrites();
    });
  }

  /**
   * One compare-and-swap loop for a batch of updates: read the notes of their commits at the ref's
   * current commit, apply each mutation in order, write one notes commit on top. Settles every item
   * (a mutation that throws rejects its own update only); throws only when the batch cannot be written.
   */
  private async writeBatch(batch: WaitingWrite<T>[]): Promise<void> {
    if (!this.pruned) {
      this.pruned = true;
      await this.pruneStaleTempRefs();
    }
    const oids = [...new Set(batch.map((w) => w.oid))];
    const maxAttempts = this.options.maxLocalAttempts ?? 25;
    for (let attempt = 1; ; attempt++) {
      const old = await this.resolveRef(this.ref);
      const lookup = await this.notesAt(old, oids);
      const before = new Map<string, T | null | Error>();
      for (const oid of oids) {
        const note = lookup.notes.get(oid);
        try {
          before.set(oid, note ? this.parseText(note.text, oid) : null);
        } catch (err) {
          before.set(oid, err as Error);
        }
      }
      const after = new Map(before);
      const outcomes = batch.map((w) => {
        const current = after.get(w.oid) as T | null | Error;
        if (current instanceof Error) return current;
        try {
          const next = w.mutate(current === null ? null : structuredClone(current));
          if (next !== null) this.checkObject(next, w.oid);
          after.set(w.oid, next);
          return { next };
        } catch (err) {
          return err as Error;
        }
      });
      const changes = oids
        .filter((oid) => !(before.get(oid) instanceof Error) && !sameJson(before.get(oid), after.get(oid)))
        .map((oid) => ({
          oid,
          next: after.get(oid) as T | null,
          paths: lookup.notes.get(oid)?.paths ?? [],
          known: lookup.commits.has(oid),
        }));
      const written = changes.length === 0 || (await this.commitNotes(old, changes));
      if (written) {
        batch.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome instanceof Error) w.reject(outcome);
          else w.resolve(outcome.next);
        });
        return;
      }
      if (attempt >= maxAttempts) {
        throw new NotesStoreError(
          `${this.ref}: gave up updating the notes of ${oids.length} commit(s) (${oids[0]}${oids.length > 1 ? ', ...' : ''}) after ${attempt} attempts: other writers kept moving the ref`,
        );
      }
      this.log.debug({ commits: oids.length, attempt }, 'notes ref moved under us; re-reading');
      await backoff(attempt);
    }
  }

  /**
   * One notes commit on top of `old` (a new root when null) with these notes set or removed, moved
   * into place by fast-import only if the ref still is `old` (its update is a checked fast-forward).
   * False when another writer moved the ref first.
   */
  private async commitNotes(
    old: string | null,
    changes: { oid: string; next: T | null; paths: string[]; known: boolean }[],
  ): Promise<boolean> {
    const chunks: string[] = ['feature done\n', `commit ${this.ref}\n`];
    const message = `flinkops: update ${changes.length} note(s)\n`;
    const { name, email } = this.identity;
    chunks.push(`committer ${name} <${email}> ${Math.floor(Date.now() / 1000)} +0000\n`);
    chunks.push(`data ${Buffer.byteLength(message)}\n${message}`);
    if (old) chunks.push(`from ${old}\n`);
    for (const { oid, next, paths, known } of changes) {
      // the old note goes wherever it sits: fast-import's N writes at its own fan-out depth and
      // would otherwise leave a second note for the same commit behind
      for (const path of paths) chunks.push(`D ${path}\n`);
      if (next === null) continue;
      const body = `${JSON.stringify(next)}\n`;
      // N needs the commit in this repository (a worker's clone may lag the poller): else the note
      // is written by path, where the old one was or unfanned (git reads notes at any depth)
      const target = known ? `N inline ${oid}` : `M 100644 inline ${paths[0] ?? oid}`;
      chunks.push(`${target}\ndata ${Buffer.byteLength(body)}\n${body}\n`);
    }
    chunks.push('done\n');
    const res = await this.runGitStatus(['fast-import', '--quiet'], chunks.join(''));
    if (res.code === 0) return true;
    if (
      /not updating|does not contain|cannot lock ref|unable to (lock|update)|incorrect old value/i.test(
        res.stderr,
      )
    )
      return false;
    throw new NotesStoreError(`${this.ref}: writing notes failed: ${this.scrub(res.stderr.trim())}`);
  }

  /**
   * Where and what the notes of these commits are in the notes commit `at` (and which of the commits
   * this repository has), through one `git cat-file --batch`: a note sits at <sha> or, fanned out,
   * at <2 hex>/<rest> (and deeper); every place is asked for.
   */
  private async notesAt(at: string | null, oids: string[]): Promise<NotesLookup> {
    const asked: { oid: string; spec: string; path?: string }[] = [];
    for (const oid of oids) {
      asked.push({ oid, spec: oid });
      if (!at) continue;
      for (let depth = 0; depth <= MAX_FANOUT_DEPTH; depth++) {
        const parts: string[] = [];
        for (let i = 0; i < depth; i++) parts.push(oid.slice(2 * i, 2 * i + 2));
        parts.push(oid.slice(2 * depth));
        const path = parts.join('/');
        asked.push({ oid, spec: `${at}:${path}`, path });
      }
    }
    const found = await this.catSpecs(asked.map((a) => a.spec));
    const lookup: NotesLookup = { notes: new Map(), commits: new Set() };
    asked.forEach((a, i) => {
      const object = found[i];
      if (!object) return;
      if (!a.path) {
        if (object.type === 'commit') lookup.commits.add(a.oid);
        return;
      }
      if (object.type !== 'blob') return;
      const note = lookup.notes.get(a.oid);
      if (note) note.paths.push(a.path);
      else lookup.notes.set(a.oid, { text: object.text, paths: [a.path] });
    });
    return lookup;
  }

  /**
   * Pushes the notes ref to the remote (when there is one). A rejected push fetches the remote's
   * notes, merges them into ours per commit and tries again, a bounded number of times.
   */
  async push(): Promise<void> {
    const remote = await this.remote();
    if (!remote) return;
    const maxAttempts = this.options.maxPushAttempts ?? 10;
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const local = await this.resolveRef(this.ref);
      if (!local) return;
      try {
        await this.git.raw(['push', '--quiet', '--porcelain', remote, `${this.ref}:${this.ref}`]);
        return;
      } catch (err) {
        lastError = this.scrub(errorText(err));
        if (!PUSH_RACE_RE.test(lastError)) {
          throw new NotesStoreError(`${this.ref}: cannot push to remote "${remote}": ${lastError}`);
        }
      }
      this.log.debug({ attempt }, 'notes push rejected; fetching and merging the remote notes');
      await this.fetchAndMerge(remote);
      await backoff(attempt);
    }
    throw new NotesStoreError(
      `${this.ref}: push to remote "${remote}" still rejected after ${maxAttempts} fetch-merge attempts: ${lastError}`,
    );
  }

  /** Fetches the remote's notes ref and merges it into the local one (no push). */
  async pull(): Promise<void> {
    const remote = await this.remote();
    if (remote) await this.fetchAndMerge(remote);
  }

  private async fetchAndMerge(remote: string): Promise<void> {
    const tracking = this.tempRef('remote');
    try {
      try {
        await this.git.raw([
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-write-fetch-head',
          remote,
          `+${this.ref}:${tracking}`,
        ]);
      } catch (err) {
        const text = this.scrub(errorText(err));
        if (/couldn't find remote ref/i.test(text)) return; // nothing remote yet: the next push creates it
        throw new NotesStoreError(`${this.ref}: cannot fetch notes from remote "${remote}": ${text}`);
      }
      const theirs = await this.resolveRef(tracking);
      if (!theirs) return;
      // the local ref may move while we merge; the CAS below then fails and the push loop retries
      const maxAttempts = this.options.maxLocalAttempts ?? 25;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const merged = await serialized(this.queueKey, async () => {
          const ours = await this.resolveRef(this.ref);
          const result = await this.mergeCommits(ours, theirs);
          return result === ours || (await this.compareAndSwap(result, ours));
        });
        if (merged) return;
        await backoff(attempt);
      }
    } finally {
      await this.deleteRef(tracking);
    }
  }

  /**
   * A notes commit holding both sides' notes, with `theirs` as a parent (so the push fast-forwards).
   * The tree is built on whichever side needs fewer note writes: a fresh clone whose first note
   * meets a remote with thousands writes one note, not thousands.
   */
  private async mergeCommits(ours: string | null, theirs: string): Promise<string> {
    if (!ours || (await this.isAncestor(ours, theirs))) return theirs;
    if (await this.isAncestor(theirs, ours)) return ours;
    const theirNotes = await this.withSnapshot(theirs, (snap) => this.notesOf(snap));
    const ourNotes = await this.withSnapshot(ours, (snap) => this.notesOf(snap));
    const differing = [...new Set([...ourNotes.keys(), ...theirNotes.keys()])].filter(
      (commit) => ourNotes.get(commit) !== theirNotes.get(commit),
    );
    const writesOnTheirs = differing.filter((commit) => ourNotes.has(commit));
    const writesOnOurs = differing.filter((commit) => theirNotes.has(commit));
    const baseIsTheirs = writesOnTheirs.length < writesOnOurs.length;
    return this.withSnapshot(baseIsTheirs ? theirs : ours, async (snap) => {
      for (const commit of baseIsTheirs ? writesOnTheirs : writesOnOurs) {
        const ourBlob = ourNotes.get(commit);
        const theirBlob = theirNotes.get(commit);
        if (ourBlob && theirBlob) {
          const merged = this.options.merge(
            await this.readBlob(ourBlob, commit),
            await this.readBlob(theirBlob, commit),
          );
          this.checkObject(merged, commit);
          await this.writeNote(snap, commit, merged);
        } else {
          // only one side has a note for this commit: take it byte for byte
          await this.git.raw(['notes', `--ref=${snap}`, 'add', '-f', '-C', (ourBlob ?? theirBlob)!, commit]);
        }
      }
      const tree = (await this.git.raw(['rev-parse', `${snap}^{tree}`])).trim();
      const message = `flinkops: merge ${this.ref} from the remote`;
      const out = await this.git.raw(['commit-tree', tree, '-p', ours, '-p', theirs, '-m', message]);
      return out.trim();
    });
  }

  private async remote(): Promise<string | null> {
    if (this.remoteName !== undefined) return this.remoteName;
    const configured = this.options.remote;
    const wanted = configured === undefined || configured === false ? 'origin' : configured;
    const remotes = (await this.git.raw(['remote'])).split('\n').map((r) => r.trim());
    if (!remotes.includes(wanted)) {
      if (configured) {
        throw new NotesStoreError(
          `${this.ref}: the repository at ${this.options.repoDir} has no remote "${wanted}"`,
        );
      }
      this.remoteName = null;
      return null;
    }
    this.remoteName = wanted;
    return wanted;
  }

  /** Writes `next` (or removes the note when null) on the snapshot ref. */
  private async writeNote(snapRef: string, commit: string, next: T | null): Promise<void> {
    if (next === null) {
      await this.git.raw(['notes', `--ref=${snapRef}`, 'remove', '--ignore-missing', commit]);
      return;
    }
    // -C <blob> stores the bytes as they are (-m / -F would run them through stripspace)
    const blob = await this.hashObject(`${JSON.stringify(next)}\n`);
    await this.git.raw(['notes', `--ref=${snapRef}`, 'add', '-f', '-C', blob, commit]);
  }

  /** commit -> note blob for every note of a notes commit (or just one commit's) */
  private async notesOf(snapRef: string, only?: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let text: string;
    try {
      text = await this.git.raw(['notes', `--ref=${snapRef}`, 'list', ...(only ? [only] : [])]);
    } catch (err) {
      if (only && /no note found/i.test(errorText(err))) return out;
      throw new NotesStoreError(`${this.ref}: cannot list notes: ${this.scrub(errorText(err))}`);
    }
    for (const line of text.split('\n')) {
      const parts = line.trim().split(/\s+/);
      if (only && parts.length === 1 && SHA_RE.test(parts[0])) out.set(only, parts[0]);
      else if (parts.length === 2) out.set(parts[1], parts[0]);
    }
    return out;
  }

  private async readBlob(blob: string, commit: string): Promise<T> {
    return this.parseText(await this.git.raw(['cat-file', 'blob', blob]), commit);
  }

  private parseText(text: string, commit: string): T {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new NotesStoreError(
        `${this.ref}: the note on ${commit} is not JSON (${(err as Error).message}); fix or remove it with ` +
          `git notes --ref=${this.ref} edit ${commit.slice(0, 12)}`,
      );
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new NotesStoreError(`${this.ref}: the note on ${commit} is not a JSON object`);
    }
    if (!this.options.parse) return raw as T;
    try {
      return this.options.parse(raw);
    } catch (err) {
      throw new NotesStoreError(`${this.ref}: the note on ${commit} is invalid: ${(err as Error).message}`);
    }
  }

  /** Contents of many blobs through one `git cat-file --batch` (sizes are bytes: parsed as a Buffer). */
  private catBlobs(blobs: string[]): Promise<Map<string, string>> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        ['cat-file', '--batch'],
        {
          cwd: this.options.repoDir,
          env: this.env,
          encoding: 'buffer',
          timeout: this.options.timeoutMs ?? 60_000,
          maxBuffer: 1 << 30,
        },
        (err, stdout, stderr) => {
          if (err) {
            reject(
              new NotesStoreError(
                `${this.ref}: cat-file --batch failed: ${this.scrub(String(stderr) || err.message)}`,
              ),
            );
            return;
          }
          const out = new Map<string, string>();
          let pos = 0;
          while (pos < stdout.length) {
            const eol = stdout.indexOf(10, pos);
            if (eol < 0) break;
            const [oid, type, size] = stdout.subarray(pos, eol).toString('utf8').split(' ');
            pos = eol + 1;
            if (type === 'missing' || size === undefined) continue;
            const length = Number(size);
            out.set(oid, stdout.subarray(pos, pos + length).toString('utf8'));
            pos += length + 1;
          }
          resolve(out);
        },
      );
      child.stdin?.end(`${blobs.join('\n')}\n`);
    });
  }

  /**
   * `git cat-file --batch` over object specs, answered in order: the object's type and contents, or
   * null when the spec names nothing.
   */
  private catSpecs(specs: string[]): Promise<({ type: string; text: string } | null)[]> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        ['cat-file', '--batch'],
        {
          cwd: this.options.repoDir,
          env: this.env,
          encoding: 'buffer',
          timeout: this.options.timeoutMs ?? 60_000,
          maxBuffer: 1 << 30,
        },
        (err, stdout, stderr) => {
          if (err) {
            reject(
              new NotesStoreError(
                `${this.ref}: cat-file --batch failed: ${this.scrub(String(stderr) || err.message)}`,
              ),
            );
            return;
          }
          const out: ({ type: string; text: string } | null)[] = [];
          let pos = 0;
          for (let i = 0; i < specs.length; i++) {
            const eol = stdout.indexOf(10, pos);
            if (eol < 0) {
              reject(
                new NotesStoreError(`${this.ref}: cat-file --batch answered ${i} of ${specs.length} lookups`),
              );
              return;
            }
            const header = stdout.subarray(pos, eol).toString('utf8').split(' ');
            pos = eol + 1;
            // "<oid> <type> <size>" then the contents; "<spec> missing" (or "ambiguous") otherwise
            if (header.length === 3 && SHA_RE.test(header[0]) && /^\d+$/.test(header[2])) {
              const length = Number(header[2]);
              out.push({ type: header[1], text: stdout.subarray(pos, pos + length).toString('utf8') });
              pos += length + 1;
            } else out.push(null);
          }
          resolve(out);
        },
      );
      child.stdin?.end(`${specs.join('\n')}\n`);
    });
  }

  private checkObject(value: T, commit: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new NotesStoreError(`${this.ref}: refusing to write a non-object note on ${commit}`);
    }
  }

  /** Runs fn with a private ref pointing at `oid` (absent when null); the ref is always removed. */
  private async withSnapshot<R>(oid: string | null, fn: (snapRef: string) => Promise<R>): Promise<R> {
    const snap = this.tempRef('snap');
    if (oid) await this.runGit(['update-ref', snap, oid, ZERO_OID]);
    try {
      return await fn(snap);
    } finally {
      await this.deleteRef(snap);
    }
  }

  /** Temp refs live under refs/notes/ because `git notes --ref` only works there. */
  private tempRef(kind: string): string {
    snapshotCounter += 1;
    const unique = `${Date.now()}-${process.pid}-${snapshotCounter}-${randomBytes(4).toString('hex')}`;
    return `${this.tempRefPrefix()}${kind}-${unique}`;
  }

  private tempRefPrefix(): string {
    return `refs/notes/flinkops-tmp/${this.ref.slice('refs/notes/'.length).replace(/\//g, '-')}/`;
  }

  /**
   * A process killed mid-update leaves its temp ref behind. Each carries its creation time; one
   * older than every git timeout can only be abandoned, so the first update of a store removes them.
   */
  private async pruneStaleTempRefs(): Promise<void> {
    const limit = Date.now() - Math.max(10 * 60_000, 5 * (this.options.timeoutMs ?? 60_000));
    const res = await this.runGitStatus(['for-each-ref', '--format=%(refname)', this.tempRefPrefix()]);
    if (res.code !== 0) return;
    for (const ref of res.stdout.split('\n').filter(Boolean)) {
      const created = Number(/\/[a-z]+-(\d+)-/.exec(ref)?.[1]);
      if (Number.isFinite(created) && created < limit) await this.deleteRef(ref);
    }
  }

  private async deleteRef(ref: string): Promise<void> {
    await this.runGit(['update-ref', '-d', ref]).catch((err) =>
      this.log.warn({ ref, err: this.scrub(errorText(err)) }, 'could not remove a temporary notes ref'),
    );
  }

  private async compareAndSwap(next: string, old: string | null): Promise<boolean> {
    const res = await this.runGitStatus([
      'update-ref',
      '-m',
      'flinkops notes update',
      this.ref,
      next,
      old ?? ZERO_OID,
    ]);
    if (res.code === 0) return true;
    if (/cannot lock ref|is at .* but expected|reference already exists|unable to create/i.test(res.stderr)) {
      return false;
    }
    throw new NotesStoreError(`${this.ref}: update-ref failed: ${this.scrub(res.stderr.trim())}`);
  }

  private async resolveRef(ref: string): Promise<string | null> {
    const res = await this.runGitStatus(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return res.code === 0 ? res.stdout.trim() : null;
  }

  /**
   * A full sha is taken as is: notes only name the commit, and a worker's clone may not have
   * fetched the commit it reports on yet. Anything shorter (abbreviated sha, ref) must resolve here.
   */
  private async resolveCommit(commit: string): Promise<string> {
    if (SHA_RE.test(commit)) return commit;
    const res = await this.runGitStatus([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${commit}^{commit}`,
    ]);
    if (res.code !== 0) {
      throw new NotesStoreError(`${this.ref}: no commit "${commit}" in ${this.options.repoDir}`);
    }
    return res.stdout.trim();
  }

  private async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.runGitStatus(['merge-base', '--is-ancestor', ancestor, descendant])).code === 0;
  }

  private async hashObject(content: string): Promise<string> {
    const res = await this.runGitStatus(['hash-object', '-w', '--stdin'], content);
    if (res.code !== 0)
      throw new NotesStoreError(`${this.ref}: hash-object failed: ${this.scrub(res.stderr)}`);
    return res.stdout.trim();
  }

  private async runGit(args: string[]): Promise<string> {
    const res = await this.runGitStatus(args);
    if (res.code !== 0) {
      throw new NotesStoreError(
        `git ${args[0]} failed in ${this.options.repoDir}: ${this.scrub(res.stderr.trim())}`,
      );
    }
    return res.stdout;
  }

  /**
   * Plumbing whose exit code is the answer (rev-parse --verify, merge-base --is-ancestor, CAS
   * update-ref) or that needs stdin: simple-git resolves a failing command that printed nothing
   * on stderr, and has no per-call stdin, so these go through execFile with the same env.
   */
  private runGitStatus(
    args: string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        'git',
        [...GIT_CONFIG.flatMap((c) => ['-c', c]), ...args],
        {
          cwd: this.options.repoDir,
          env: this.env,
          timeout: this.options.timeoutMs ?? 60_000,
          maxBuffer: 64 << 20,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 128) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err ? err.message : '') });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  private scrub(text: string): string {
    let out = redactCredentials(text);
    for (const secret of this.options.secrets ?? []) if (secret) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** Removes user:password@ (or token@) from URLs in a message. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[redacted]@');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.trim() : String(err);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Jittered exponential pause between attempts, capped so a bounded loop stays short. */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(400, 10 * 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
