// GitHub commit statuses through @octokit/rest: POST /repos/{owner}/{repo}/statuses/{sha}.
// baseUrl is configurable for GitHub Enterprise (https://host/api/v3) and for tests.
import { Octokit } from '@octokit/rest';
import { childLogger } from '../log.ts';
import { MAX_DESCRIPTION, shortenDescription } from './describe.ts';
import { scrubSecrets } from './scrub.ts';
import { StatusReportError, type StatusReporter, type StatusUpdate } from './types.ts';

export interface GitHubReporterOptions {
  token: string;
  owner: string;
  repo: string;
  /** default https://api.github.com */
  baseUrl?: string;
  /** per request (default 15 s) */
  timeoutMs?: number;
}

export class GitHubStatusReporter implements StatusReporter {
  readonly provider = 'github';
  private readonly octokit: Octokit;

  constructor(private readonly options: GitHubReporterOptions) {
    const log = childLogger({ component: 'status', provider: 'github' });
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
      userAgent: 'flinkops',
      // octokit logs through console by default; route it to pino (the token is never in these)
      log: {
        debug: () => {},
        info: () => {},
        warn: (msg: string) => log.warn(scrubSecrets(msg, [options.token])),
        error: (msg: string) => log.error(scrubSecrets(msg, [options.token])),
      },
    });
  }

  async report(commit: string, update: StatusUpdate): Promise<void> {
    const { owner, repo, token } = this.options;
    try {
      await this.octokit.rest.repos.createCommitStatus({
        owner,
        repo,
        sha: commit,
        state: update.state,
        context: update.context,
        description: shortenDescription(update.description, MAX_DESCRIPTION, [token]),
        ...(update.targetUrl ? { target_url: update.targetUrl } : {}),
        request: { signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000) },
      });
    } catch (err) {
      const status = httpStatus(err);
      const message = scrubSecrets(err instanceof Error ? err.message : String(err), [token]);
      throw new StatusReportError(
        `GitHub status ${update.context} on ${owner}/${repo}@${commit.slice(0, 12)}: ${status ? `HTTP ${status}: ` : ''}${message}`,
        isRetryable(status, message),
        status,
      );
    }
  }
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

/** Network errors, timeouts, 5xx and rate limits pass with time; bad tokens, unknown repos or shas do not. */
function isRetryable(status: number | undefined, message: string): boolean {
  if (status === undefined) return true;
  if (status >= 500 || status === 408 || status === 429) return true;
  return status === 403 && /rate limit/i.test(message);
}
