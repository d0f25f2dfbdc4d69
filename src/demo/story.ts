// The demo's scripted story: each chapter changes the Git repository the way a team would, lets
// flinkops plan and run it, prints the plan (markdown) and the outcome, and checks the outcome is what
// the product promises (the demo test relies on those checks).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDocument } from 'yaml';
import type { ClusterClient } from '../cluster/types.ts';
import type { RunningFlinkops } from '../gitops/run.ts';
import { renderMarkdown } from '../plan/render-markdown.ts';
import type { SimTruth } from '../sim/types.ts';

export interface StatusEntry {
  state: string;
  description: string;
}

export interface StoryWorld {
  /** the work clone the story edits and pushes from */
  workDir: string;
  /** the bare repository flinkops tracks */
  remoteDir: string;
  flinkops: RunningFlinkops;
  cluster: ClusterClient;
  truth: SimTruth;
  uiUrl: string | null;
  print: (text: string) => void;
  /** how long one chapter may take before the story gives up (ms) */
  chapterTimeoutMs: number;
}

export interface ChapterResult {
  title: string;
  commit: string;
  ok: boolean;
  problems: string[];
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'flinkops demo',
  GIT_AUTHOR_EMAIL: 'demo@flinkops.invalid',
  GIT_COMMITTER_NAME: 'flinkops demo',
  GIT_COMMITTER_EMAIL: 'demo@flinkops.invalid',
  GIT_TERMINAL_PROMPT: '0',
};

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export class Story {
  readonly results: ChapterResult[] = [];

  constructor(private readonly world: StoryWorld) {}

  private print(text = ''): void {
    this.world.print(text);
  }

  /** Edits one manifest's YAML in place (keeps comments), commits and pushes. */
  editManifest(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
    const path = join(this.world.workDir, file);
    const doc = parseDocument(readFileSync(path, 'utf8'));
    edit(doc);
    writeFileSync(path, String(doc));
  }

  removeFile(file: string): void {
    rmSync(join(this.world.workDir, file));
  }

  restoreFile(file: string, content: string): void {
    mkdirSync(dirname(join(this.world.workDir, file)), { recursive: true });
    writeFileSync(join(this.world.workDir, file), content);
  }

  commitAndPush(message: string): string {
    git(this.world.workDir, ['add', '-A']);
    git(this.world.workDir, ['commit', '-q', '--allow-empty', '-m', message]);
    git(this.world.workDir, ['push', '-q', 'origin', 'HEAD:main']);
    return git(this.world.workDir, ['rev-parse', 'HEAD']);
  }

  statuses(sha: string): Record<string, StatusEntry> {
    try {
      const raw = git(this.world.remoteDir, ['notes', '--ref=flinkops', 'show', sha]);
      return (JSON.parse(raw) as { statuses: Record<string, StatusEntry> }).statuses ?? {};
    } catch {
      return {};
    }
  }

  /**
   * One chapter: push, poll, print the plan, wait until every planned deployment's status on the
   * commit is final, print the outcome, then run the chapter's checks.
   */
  async chapter(
    title: string,
    message: string,
    expect: Record<string, 'success' | 'failure'>,
    check?: (sha: string) => Promise<string[]>,
  ): Promise<string> {
    this.print();
    this.print(`━━ ${title}`);
    const sha = this.commitAndPush(message);
    this.print(`pushed ${sha.slice(0, 12)}  "${message.split('\n')[0]}"`);
    const outcome = await this.world.flinkops.pollNow();
    if (outcome) {
      const plan = {
        base: outcome.mode === 'live' ? 'live' : git(this.world.remoteDir, ['rev-parse', `${sha}^`]),
        head: sha,
        transitions: outcome.planned.map((p) => p.transition),
        errors: outcome.errors,
      };
      this.print(renderMarkdown(plan).trimEnd());
    }
    const problems = await this.waitForStatuses(sha, expect);
    if (check) problems.push(...(await check(sha)));
    this.results.push({ title, commit: sha, ok: problems.length === 0, problems });
    for (const problem of problems) this.print(`  ✗ ${problem}`);
    return sha;
  }

  /**
   * Waits until every expected context on the commit has a final state (or, with `until: 'expected'`,
   * exactly the expected one: after a retry the old failure is still there until the step reruns).
   */
  async waitForStatuses(
    sha: string,
    expect: Record<string, 'success' | 'failure'>,
    until: 'final' | 'expected' = 'final',
  ): Promise<string[]> {
    const deadline = Date.now() + this.world.chapterTimeoutMs;
    const settled = (key: string, entry: StatusEntry | undefined) =>
      entry !== undefined && (until === 'expected' ? entry.state === expect[key] : entry.state !== 'pending');
    let statuses: Record<string, StatusEntry> = {};
    while (Date.now() < deadline) {
      statuses = this.statuses(sha);
      if (Object.keys(expect).every((key) => settled(key, statuses[`flinkops/${key}`]))) break;
      await sleep(200);
    }
    const problems: string[] = [];
    for (const [key, want] of Object.entries(expect)) {
      const got = statuses[`flinkops/${key}`];
      this.print(`  status flinkops/${key}: ${got ? `${got.state} — ${got.description}` : 'none yet'}`);
      if (!got || got.state !== want)
        problems.push(
          `${key}: expected ${want}, got ${got ? `${got.state} (${got.description})` : 'no status'}`,
        );
    }
    return problems;
  }

  job(namespace: string, name: string) {
    return this.world.truth.getJob(namespace, name);
  }

  describeJob(namespace: string, name: string): string {
    const job = this.job(namespace, name);
    if (!job) return `${namespace}/${name}: no job`;
    const from = job.restoredFrom;
    const restored =
      from.kind === 'none'
        ? 'empty state'
        : `${from.kind} ${from.path} (offset ${from.offset}, ${from.mode})`;
    return `${namespace}/${name}: ${job.running ? 'running' : 'stopped'}, offset ${job.offset}, restored from ${restored}`;
  }

  async waitForOffset(namespace: string, name: string, atLeast: number): Promise<void> {
    const deadline = Date.now() + this.world.chapterTimeoutMs;
    while (Date.now() < deadline) {
      const job = this.job(namespace, name);
      if (job?.running && job.offset >= atLeast) return;
      await sleep(100);
    }
  }

  async setAnnotation(namespace: string, name: string, key: string, value: string | null): Promise<void> {
    await this.world.cluster.patch(namespace, name, () => ({ metadata: { annotations: { [key]: value } } }));
  }

  /** Retries the failed step of a transition the way the queue UI's Retry button does (job.retry). */
  async retryFailed(transitionId: string): Promise<string | null> {
    const failed = await this.world.flinkops.queue.queue.getFailed();
    const job = failed.find((j) => j.data.transitionId === transitionId);
    if (!job) return null;
    await job.retry('failed');
    return job.id ?? null;
  }

  summary(): boolean {
    this.print();
    this.print('━━ Summary');
    for (const r of this.results) this.print(`  ${r.ok ? '✓' : '✗'} ${r.title} (${r.commit.slice(0, 12)})`);
    return this.results.every((r) => r.ok);
  }
}
