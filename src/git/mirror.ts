// The poller's own copy of the tracked repository: a bare clone in a work dir flinkops owns.
// Fetches force-update the tracked branch (so a force-push is seen as such), never prompt, and
// keep credentials out of URLs, argv and logs (they travel as an HTTP header through git's env config).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { BlobReader } from './blob-reader.ts';
import { commitParents } from './commit-graph.ts';

export interface MirrorOptions {
  /** URL or local path of the repository */
  source: string;
  branch: string;
  /** folder flinkops owns; the bare clone lives in <workDir>/repo.git */
  workDir: string;
  /** HTTPS token (GitHub/GitLab style); sent as a Basic auth header, never logged */
  token?: string;
  /** user name paired with the token (default x-access-token) */
  username?: string;
  /** extra ref patterns to fetch (pull-request heads), e.g. refs/pull/*\/head */
  extraRefPatterns?: string[];
  timeoutMs?: number;
}

export class GitFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitFetchError';
  }
}

const ENV_ALLOWED = [
  'GIT_TERMINAL_PROMPT',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_KEY_0',
  'GIT_CONFIG_VALUE_0',
  'GIT_CONFIG_NOSYSTEM',
];

export class RepoMirror {
  readonly dir: string;
  private readonly git: SimpleGit;

  constructor(private readonly options: MirrorOptions) {
    this.dir = join(options.workDir, 'repo.git');
    mkdirSync(options.workDir, { recursive: true });
    this.git = simpleGit({
      baseDir: options.workDir,
      allowEnvironment: ENV_ALLOWED,
      // our own GIT_CONFIG_* entries carry the credential header; nothing user-supplied goes there
      unsafe: { allowUnsafeConfigEnvCount: true },
      timeout: { block: options.timeoutMs ?? 120_000 },
    }).env(this.env());
  }

  /** Redacted description of the source, safe for logs and statuses. */
  get displaySource(): string {
    return redactUrl(this.options.source);
  }

  get trackedRef(): string {
    return `refs/heads/${this.options.branch}`;
  }

  /** Clones on first use; later calls only check the clone is there. */
  async ensureClone(): Promise<void> {
    if (existsSync(join(this.dir, 'HEAD'))) return;
    try {
      await this.git.raw(['clone', '--bare', '--quiet', '--no-tags', '--', this.options.source, this.dir]);
      await this.repoGit().raw(['config', 'remote.origin.fetch', `+refs/heads/*:refs/heads/*`]);
    } catch (err) {
      throw new GitFetchError(
        `cannot clone ${this.displaySource}: ${scrub(errorText(err), this.options.token)}`,
      );
    }
  }

  /** Fetches the tracked branch (force) and extra ref patterns; returns the branch head sha. */
  async fetch(): Promise<string> {
    await this.ensureClone();
    const { branch } = this.options;
    const refspecs = [`+refs/heads/${branch}:refs/heads/${branch}`];
    for (const pattern of this.options.extraRefPatterns ?? []) refspecs.push(`+${pattern}:${pattern}`);
    // the hot path of every poll and webhook: git directly, without simple-git's per-task overhead, and
    // the new head read through the open cat-file process rather than a rev-parse process
    try {
      await this.run(['fetch', '--quiet', '--prune', '--no-tags', 'origin', ...refspecs]);
      const head = await this.resolveQuickly(`refs/heads/${branch}`);
      if (head) return head;
      return (await this.run(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`])).trim();
    } catch (err) {
      throw new GitFetchError(
        `cannot fetch ${this.displaySource} ${branch}: ${scrub(errorText(err), this.options.token)}`,
      );
    }
  }

  async revParse(rev: string): Promise<string> {
    return (await this.repoGit().raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim();
  }

  /** Whether `ancestor` is reachable from `descendant` (false also when `ancestor` no longer exists). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    // the usual answer (a parent of the new head) without starting a process
    const parents = await this.parents(descendant);
    if (parents?.includes(ancestor.toLowerCase())) return true;
    return (await this.exitCode(['merge-base', '--is-ancestor', ancestor, descendant])) === 0;
  }

  /** Parent commits of a commit, read through the open cat-file process; null when that cannot tell. */
  async parents(commit: string): Promise<string[] | null> {
    // a commit id names the same parents forever: the ancestry check and the commit count share one read
    const id = /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit) ? commit : null;
    const known = id ? this.parentCache.get(id) : undefined;
    if (known) return known;
    try {
      const parents = await commitParents(this.objectReader(), commit);
      if (id) {
        if (this.parentCache.size >= 256) this.parentCache.clear();
        this.parentCache.set(id, parents);
      }
      return parents;
    } catch {
      return null; // not a commit, or the reader failed: callers ask git the slow way
    }
  }

  private readonly parentCache = new Map<string, string[]>();

  private objects: BlobReader | null = null;
  private objectsStartedAt = 0;

  /**
   * One `git cat-file --batch-command` on the mirror, kept open across polls and shared by every read
   * (starting a process costs several ms per poll); a new one is started after a failure or close().
   */
  objectReader(): BlobReader {
    if (!this.objects?.usable) {
      this.objects = new BlobReader(this.dir);
      this.objectsStartedAt = Date.now();
    }
    return this.objects;
  }

  /**
   * Replaces the shared reader once it is older than `maxAgeMs` and idle: a process that lives for days
   * would keep the pack files a `git gc` deleted open (their disk space is freed only when it exits).
   * Called after a poll's work, so the new process is started off the path of the next poll.
   */
  refreshObjectReader(maxAgeMs = 10 * 60_000): void {
    if (!this.objects?.idle || Date.now() - this.objectsStartedAt < maxAgeMs) return;
    this.objects.close();
    this.objects = null;
    this.objectReader();
  }

  /** Stops the shared cat-file process (a later read starts another). */
  close(): void {
    this.objects?.close();
    this.objects = null;
  }

  /** A ref's commit through the open cat-file process; null when it failed (the caller asks rev-parse). */
  private async resolveQuickly(ref: string): Promise<string | null> {
    try {
      return await this.objectReader().resolveCommit(ref);
    } catch {
      return null;
    }
  }

  async commitExists(sha: string): Promise<boolean> {
    return (await this.exitCode(['cat-file', '-e', `${sha}^{commit}`])) === 0;
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        args,
        { cwd: this.dir, env: this.env(), timeout: this.options.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout)),
      );
    });
  }

  /** simple-git resolves a failing command that printed nothing on stderr, so yes/no questions use the exit code. */
  private exitCode(args: string[]): Promise<number> {
    return new Promise((resolve) => {
      execFile('git', args, { cwd: this.dir, env: this.env(), timeout: 60_000 }, (err) => {
        resolve(err ? (typeof err.code === 'number' ? err.code : 128) : 0);
      });
    });
  }

  /** Commits in base..head, oldest first (full shas). */
  async commitsBetween(base: string | null, head: string): Promise<string[]> {
    const range = base ? `${base}..${head}` : head;
    const out = await this.repoGit().raw(['rev-list', '--reverse', range]);
    return out.split('\n').filter(Boolean);
  }

  /** Refs matching a pattern (e.g. refs/pull/*\/head), with their shas. */
  async listRefs(pattern: string): Promise<{ ref: string; sha: string }[]> {
    const out = await this.repoGit().raw(['for-each-ref', '--format=%(objectname) %(refname)', pattern]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha, ref] = line.split(' ');
        return { ref, sha };
      });
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    try {
      return (await this.repoGit().raw(['merge-base', a, b])).trim() || null;
    } catch {
      return null;
    }
  }

  /** A simple-git bound to the bare clone, with the same env (prompts off, credentials header). */
  repoGit(): SimpleGit {
    return simpleGit({
      baseDir: this.dir,
      allowEnvironment: ENV_ALLOWED,
      unsafe: { allowUnsafeConfigEnvCount: true },
      timeout: { block: this.options.timeoutMs ?? 120_000 },
    }).env(this.env());
  }

  /** Environment for git children: no prompts; the token as an extra HTTP header via GIT_CONFIG_*. */
  env(): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? this.options.workDir,
      GIT_TERMINAL_PROMPT: '0',
    };
    if (this.options.token) {
      const basic = Buffer.from(
        `${this.options.username ?? 'x-access-token'}:${this.options.token}`,
      ).toString('base64');
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
    }
    return env;
  }
}

export function redactUrl(source: string): string {
  return source.replace(/\/\/[^/@]*@/, '//[redacted]@');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.trim().split('\n').slice(0, 3).join(' ') : String(err);
}

function scrub(text: string, token?: string): string {
  let out = redactUrl(text);
  if (token) out = out.split(token).join('[redacted]');
  return out;
}
