// Deterministic names for transitions and their step jobs. BullMQ ignores an add whose jobId already
// exists, so deriving ids from (head commit, namespace/name, step index, action) makes enqueueing the
// same plan twice a no-op. '_' never occurs in Kubernetes names, and BullMQ forbids ':' in custom ids.
import type { StepAction } from '../plan/types.ts';

const SHA_LENGTH = 12;

export function shortSha(commit: string): string {
  return commit.slice(0, SHA_LENGTH);
}

/** `<sha12>_<namespace>_<name>`: one transition per deployment per head commit. */
export function transitionIdOf(commit: string, namespace: string, name: string): string {
  for (const [label, value] of [
    ['commit', commit],
    ['namespace', namespace],
    ['name', name],
  ] as const) {
    if (!value || value.includes(':') || value.includes('_')) {
      throw new Error(
        `cannot derive a job id from ${label} "${value}" (${namespace}/${name}): empty or contains ':' or '_'`,
      );
    }
  }
  return `${shortSha(commit)}_${namespace}_${name}`;
}

/** `<transitionId>_<index>_<action>` */
export function stepJobId(transitionId: string, index: number, action: StepAction): string {
  return `${transitionId}_${index}_${action}`;
}

/** The name the queue UI shows: `<namespace>/<name> <action> @<short sha>`. */
export function stepJobName(namespace: string, name: string, action: StepAction, commit: string): string {
  return `${namespace}/${name} ${action} @${commit.slice(0, 7)}`;
}
