// `flinkops plan --repo DIR --base REV --head REV [--format json|markdown] [--paths GLOB...]`:
// prints what each FlinkDeployment change between two commits will do (design.md contract).
// Exit 0 = no manifest errors, 1 = some manifest invalid (the rest still planned and printed), 2 = bad usage.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { EXIT_USAGE, setExitCode } from '../cli.ts';
import { GitObjectReaderError } from '../git/blob-reader.ts';
import { UnknownRevisionError } from '../git/read-revision.ts';
import { GitLedger } from '../ledger/git-ledger.ts';
import { newestPerDeployment } from '../ledger/note-format.ts';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_NAMESPACE } from '../manifests/read-manifest-files.ts';
import { planGitRange } from '../plan/plan-git-range.ts';
import { renderMarkdown } from '../plan/render-markdown.ts';

interface PlanOptions {
  repo: string;
  base: string;
  head: string;
  format: 'json' | 'markdown';
  paths?: string[];
  defaultNamespace: string;
  maxFileBytes: string;
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('plan the lifecycle steps each FlinkDeployment change between two commits needs')
    .requiredOption(
      '--repo <dir>',
      'git repository (work tree or bare) to read; nothing is checked out or written',
    )
    .requiredOption(
      '--base <rev>',
      "revision before the change; '' or the null/empty-tree sha plans everything at head",
    )
    .requiredOption('--head <rev>', 'revision after the change')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'markdown']).default('json'))
    .option('--paths <glob...>', 'manifest file globs (default: every *.yaml/*.yml outside dot-folders)')
    .option(
      '--default-namespace <ns>',
      'namespace of manifests without metadata.namespace',
      DEFAULT_NAMESPACE,
    )
    .option(
      '--max-file-bytes <n>',
      'manifest files larger than this are rejected unread',
      String(DEFAULT_MAX_FILE_BYTES),
    )
    .action(async (options: PlanOptions, command: Command) => {
      setExitCode(command, await runPlan(options));
    });
}

async function runPlan(options: PlanOptions): Promise<number> {
  const repoDir = resolve(options.repo);
  if (!existsSync(repoDir) || !statSync(repoDir).isDirectory())
    return usage(`--repo ${options.repo}: no such directory`);
  const maxFileBytes = Number(options.maxFileBytes);
  if (!Number.isInteger(maxFileBytes) || maxFileBytes <= 0) {
    return usage(`--max-file-bytes ${options.maxFileBytes}: expected a positive integer`);
  }
  try {
    const plan = await planGitRange({
      repoDir,
      base: options.base,
      head: options.head,
      globs: options.paths,
      defaultNamespace: options.defaultNamespace,
      maxFileBytes,
      // the local ledger notes, read without fetching or writing: a re-created deployment restores from it
      readLedger: async () =>
        newestPerDeployment(await new GitLedger({ repoDir, remote: false }).readLocal()),
    });
    process.stdout.write(
      options.format === 'markdown' ? renderMarkdown(plan) : `${JSON.stringify(plan, null, 2)}\n`,
    );
    return plan.errors.length > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof UnknownRevisionError) return usage(err.message);
    if (err instanceof GitObjectReaderError)
      return usage(`--repo ${options.repo}: cannot read it as a git repository (${err.message})`);
    throw err;
  }
}

function usage(message: string): number {
  process.stderr.write(`flinkops plan: ${message}\n`);
  return EXIT_USAGE;
}
