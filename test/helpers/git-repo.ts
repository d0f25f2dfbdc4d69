// Real git repositories in temp dirs for tests. The identity is set per command through the
// environment, so tests never depend on the machine's global git config.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const TEST_GIT_ENV: NodeJS.ProcessEnv = {
  GIT_AUTHOR_NAME: 'flinkops test',
  GIT_AUTHOR_EMAIL: 'test@flinkops.invalid',
  GIT_COMMITTER_NAME: 'flinkops test',
  GIT_COMMITTER_EMAIL: 'test@flinkops.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

export function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, ...TEST_GIT_ENV, HOME: cwd },
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trimEnd();
}

export class TestRepo {
  constructor(readonly dir: string) {}

  static init(dir: string, options: { bare?: boolean; branch?: string } = {}): TestRepo {
    mkdirSync(dir, { recursive: true });
    git(dir, [
      'init',
      '-q',
      `--initial-branch=${options.branch ?? 'main'}`,
      ...(options.bare ? ['--bare'] : []),
    ]);
    return new TestRepo(dir);
  }

  write(path: string, content: string): this {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return this;
  }

  remove(path: string): this {
    rmSync(join(this.dir, path), { force: true, recursive: true });
    return this;
  }

  /** Stages everything and commits; returns the new commit's sha. */
  commit(message: string): string {
    git(this.dir, ['add', '-A']);
    git(this.dir, ['commit', '-q', '--allow-empty', '-m', message]);
    return this.head();
  }

  head(): string {
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  git(...args: string[]): string {
    return git(this.dir, args);
  }
}
