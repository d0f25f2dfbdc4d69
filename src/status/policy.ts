// THE policy for status failures, in one place: a commit status is a report about a Flink
// transition, never part of it. So a status write that fails is logged and retried a bounded
// number of times with backoff, then given up on; it never throws into the step that asked for it.
// Failures that another attempt cannot fix (401 bad token, 404 unknown repo, 422) are logged once.
import type { Logger } from 'pino';
import { childLogger } from '../log.ts';
import { shortenDescription } from './describe.ts';
import { scrubSecrets } from './scrub.ts';
import { StatusReportError, type StatusReporter, type StatusUpdate } from './types.ts';

export interface ReportingPolicy {
  /** total attempts per status, first included (default 4) */
  attempts: number;
  /** first backoff; doubles each attempt, jittered (default 500 ms) */
  baseDelayMs: number;
  /** cap of one backoff (default 10 s) */
  maxDelayMs: number;
}

export const DEFAULT_POLICY: ReportingPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 };

/** What happened to one status, for callers and tests that want to know (report() itself never throws). */
export interface ReportOutcome {
  ok: boolean;
  attempts: number;
  error?: string;
}

export class PolicyReporter implements StatusReporter {
  readonly provider: string;
  private readonly policy: ReportingPolicy;
  private readonly log: Logger;

  constructor(
    private readonly inner: StatusReporter,
    policy: Partial<ReportingPolicy> = {},
    /** configured tokens, scrubbed from descriptions and logs */
    private readonly secrets: readonly string[] = [],
  ) {
    this.provider = inner.provider;
    this.policy = { ...DEFAULT_POLICY, ...policy };
    this.log = childLogger({ component: 'status', provider: inner.provider });
  }

  async report(commit: string, update: StatusUpdate): Promise<void> {
    await this.reportWithOutcome(commit, update);
  }

  async reportWithOutcome(commit: string, update: StatusUpdate): Promise<ReportOutcome> {
    // stamped once: a retry carries the time the status was decided, not the time it got through
    const stamped: StatusUpdate = {
      ...update,
      description: shortenDescription(String(update.description ?? ''), undefined, this.secrets),
      updatedAt: update.updatedAt ?? new Date().toISOString(),
    };
    const where = { commit: commit.slice(0, 12), context: stamped.context, state: stamped.state };
    let lastError = '';
    for (let attempt = 1; attempt <= this.policy.attempts; attempt++) {
      try {
        await this.inner.report(commit, stamped);
        if (attempt > 1) this.log.info({ ...where, attempt }, 'commit status written after retrying');
        return { ok: true, attempts: attempt };
      } catch (err) {
        lastError = scrubSecrets(err instanceof Error ? err.message : String(err), this.secrets);
        const retryable = !(err instanceof StatusReportError) || err.retryable;
        if (!retryable) {
          this.log.error(
            { ...where, err: lastError },
            'commit status rejected; not retrying (the step goes on)',
          );
          return { ok: false, attempts: attempt, error: lastError };
        }
        if (attempt < this.policy.attempts) {
          this.log.warn({ ...where, attempt, err: lastError }, 'commit status failed; retrying');
          await sleep(this.delay(attempt));
        }
      }
    }
    this.log.error(
      { ...where, attempts: this.policy.attempts, err: lastError },
      'commit status given up after retries (the step goes on)',
    );
    return { ok: false, attempts: this.policy.attempts, error: lastError };
  }

  private delay(attempt: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
