// Delete approvals live in Git (design.md contract): any commit in base..head may carry
// `Flinkops-Approve-Delete: <namespace>/<name>`, one per line, several allowed.
import { openRepoForReading } from './repo-reader.ts';

export const APPROVE_DELETE_TRAILER = 'Flinkops-Approve-Delete';

/** namespace/name keys approved for deletion by commits reachable from head but not from base. */
export async function approvedDeletes(
  repoDir: string,
  base: string | null,
  head: string,
): Promise<Set<string>> {
  const range = base ? [`${base}..${head}`] : [head];
  const raw = await openRepoForReading(repoDir).raw([
    'log',
    '--no-color',
    `--format=%(trailers:key=${APPROVE_DELETE_TRAILER},valueonly,separator=%x0A)`,
    ...range,
    '--',
  ]);
  return parseApprovals(raw);
}

/** One approval per non-empty line; values that are not namespace/name are ignored. */
export function parseApprovals(raw: string): Set<string> {
  const keys = new Set<string>();
  for (const line of raw.split('\n')) {
    const value = line.trim();
    if (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) keys.add(value);
  }
  return keys;
}
