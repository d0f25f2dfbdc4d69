// The one interface every commit-status provider implements (notes, GitHub, GitLab), like Flux's
// notification-controller: the provider files look alike, so a new one is obvious to add.

/** The four states of design.md's status contract (GitHub's own set; GitLab's is mapped). */
export type StatusState = 'pending' | 'success' | 'failure' | 'error';

export const STATUS_STATES: readonly StatusState[] = ['pending', 'success', 'failure', 'error'];

export interface StatusUpdate {
  /** `flinkops/<namespace>/<name>` for a deployment's transition, `flinkops/plan` for a pull-request plan */
  context: string;
  state: StatusState;
  /** one line; providers shorten it to their limit (GitHub: 140 characters) */
  description: string;
  /** e.g. the queue UI page of the flow */
  targetUrl?: string;
  /**
   * ISO-8601 time the status was decided. Filled in once by the reporting policy (policy.ts) so a
   * retried write keeps its original time and an older retry never overwrites a newer status.
   */
  updatedAt?: string;
}

export interface StatusReporter {
  /** provider name for logs: notes | github | gitlab */
  readonly provider: string;
  /**
   * Writes one status on one commit. Provider implementations throw StatusReportError on
   * failure; the reporter returned by createReporter (policy.ts) never throws.
   */
  report(commit: string, update: StatusUpdate): Promise<void>;
}

/** A provider's failure, classified so the policy knows whether another attempt can help. */
export class StatusReportError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** HTTP status when the provider answered */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'StatusReportError';
  }
}
