// GitLab commit statuses through @gitbeaker/rest: POST /api/v4/projects/:id/statuses/:sha with
// PRIVATE-TOKEN auth. GitLab has its own states: error maps to failed, and a pending status that
// describes a running step maps to running. The host is configurable (self-managed GitLab, tests).
import { Gitlab } from '@gitbeaker/rest';
import { MAX_DESCRIPTION, shortenDescription } from './describe.ts';
import { scrubSecrets } from './scrub.ts';
import { StatusReportError, type StatusReporter, type StatusState, type StatusUpdate } from './types.ts';

export interface GitLabReporterOptions {
  token: string;
  /** numeric id or "group/project" path */
  projectId: string | number;
  /** default https://gitlab.com */
  host?: string;
  /** per request (default 15 s) */
  timeoutMs?: number;
}

export type GitLabState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export function gitlabState(state: StatusState, description: string): GitLabState {
  switch (state) {
    case 'pending':
      return /^step \d+\/\d+/.test(description) ? 'running' : 'pending';
    case 'success':
      return 'success';
    case 'failure':
    case 'error':
      return 'failed';
  }
}

export class GitLabStatusReporter implements StatusReporter {
  readonly provider = 'gitlab';
  private readonly api: InstanceType<typeof Gitlab>;

  constructor(private readonly options: GitLabReporterOptions) {
    this.api = new Gitlab({
      host: (options.host ?? 'https://gitlab.com').replace(/\/+$/, ''),
      token: options.token,
      queryTimeout: options.timeoutMs ?? 15_000,
    });
  }

  async report(commit: string, update: StatusUpdate): Promise<void> {
    const { projectId, token } = this.options;
    const state = gitlabState(update.state, update.description);
    try {
      await this.api.Commits.editStatus(projectId, commit, state, {
        name: update.context,
        description: shortenDescription(update.description, MAX_DESCRIPTION, [token]),
        ...(update.targetUrl ? { targetUrl: update.targetUrl } : {}),
      });
    } catch (err) {
      const status = httpStatus(err);
      const message = scrubSecrets(errorText(err), [token]);
      // GitLab refuses to move a status to the state it is already in ("Cannot transition status
      // via :run from :running"): the commit already shows that state, so there is nothing to retry.
      if (status === 400 && /cannot transition status/i.test(message)) return;
      throw new StatusReportError(
        `GitLab status ${update.context} on project ${projectId}@${commit.slice(0, 12)}: ${status ? `HTTP ${status}: ` : ''}${message}`,
        status === undefined || status >= 500 || status === 408 || status === 429,
        status,
      );
    }
  }
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as { cause?: { response?: { status?: unknown } } })?.cause?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const description = (err as { cause?: { description?: unknown } }).cause?.description;
  return typeof description === 'string' && description ? description : err.message;
}
