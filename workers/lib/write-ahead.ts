// Write-ahead notes of a step (style.md, as the operator does with its status): the step records
// what it is about to do in the job's data BEFORE doing it, so a re-run after a crash can tell its
// own work (a savepoint it triggered, a suspend it asked for) from what was there before.
import type { Job } from 'bullmq';
import type { StepJobData } from '../../src/queue/types.ts';

export type Notes = Record<string, unknown>;

export function notes<T extends Notes = Notes>(job: Job<StepJobData>): Partial<T> {
  return (job.data.progress ?? {}) as Partial<T>;
}

/** Merges `patch` into the job's persisted notes (null values delete a note). */
export async function remember(job: Job<StepJobData>, patch: Notes): Promise<void> {
  const next: Notes = { ...(job.data.progress ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  await job.updateData({ ...job.data, progress: next });
}

/** Drops every note, so a human retry of a failed step starts over from the live object. */
export async function forget(job: Job<StepJobData>, keep: string[] = []): Promise<void> {
  const current = job.data.progress ?? {};
  const next: Notes = {};
  for (const key of keep) if (key in current) next[key] = current[key];
  await job.updateData({ ...job.data, progress: next });
}
