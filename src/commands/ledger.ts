// `flinkops ledger [namespace/name] --repo DIR [--redis URL] [--format json|table]`: where every
// savepoint flinkops took or observed went, newest first, read from the git notes (or the Redis cache).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT_USAGE, setExitCode } from '../cli.ts';
import { GitLedger } from '../ledger/git-ledger.ts';
import type { LedgerEntry } from '../ledger/types.ts';
import { connectRedis } from '../queue/connection.ts';

interface LedgerOptions {
  repo: string;
  redis?: string;
  format: string;
}

export function registerLedgerCommand(program: Command): void {
  program
    .command('ledger')
    .description(
      'list the savepoints in the ledger (git notes under refs/notes/flinkops-ledger), newest first',
    )
    .argument('[deployment]', 'only this namespace/name')
    .requiredOption('--repo <dir>', 'the Git repository holding the ledger notes')
    .option('--redis <url>', 'read through the Redis cache (rebuilt from Git when missing)')
    .option('--format <format>', 'json or table', 'table')
    .action(async (deployment: string | undefined, options: LedgerOptions, command: Command) => {
      setExitCode(command, await listLedger(deployment, options));
    });
}

function usage(message: string): number {
  process.stderr.write(`flinkops ledger: ${message}\n`);
  return EXIT_USAGE;
}

export function renderLedgerTable(entries: LedgerEntry[]): string {
  const header = ['DEPLOYMENT', 'TAKEN AT', 'STEP', 'COMMIT', 'PATH'];
  const rows = entries.map((e) => [
    `${e.namespace}/${e.name}`,
    e.takenAt,
    e.step,
    e.commit.slice(0, 12),
    e.path,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

async function listLedger(deployment: string | undefined, options: LedgerOptions): Promise<number> {
  if (
    deployment !== undefined &&
    !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(deployment)
  ) {
    return usage(`"${deployment}": expected namespace/name`);
  }
  if (options.format !== 'json' && options.format !== 'table')
    return usage(`--format ${options.format}: expected json or table`);
  const repoDir = resolve(options.repo);
  if (!existsSync(repoDir)) return usage(`--repo ${options.repo}: no such directory`);
  const redis = options.redis ? connectRedis(options.redis) : undefined;
  redis?.on('error', () => {});
  try {
    const ledger = new GitLedger({ repoDir, ...(redis ? { redis } : {}) });
    const entries = await ledger.list(deployment);
    process.stdout.write(
      options.format === 'json' ? `${JSON.stringify({ entries }, null, 2)}\n` : renderLedgerTable(entries),
    );
    return 0;
  } finally {
    redis?.disconnect();
  }
}
