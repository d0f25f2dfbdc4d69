// Pull-request plans: heads matching the configured ref patterns are planned against their merge base
// with the tracked branch and summed up as the status `flinkops/plan` on the head commit. Nothing is
// executed for them; `flinkops plan --format markdown` gives the full plan for a comment.
import type { RepoMirror } from '../git/mirror.ts';
import { childLogger } from '../log.ts';
import { planGitRange } from '../plan/plan-git-range.ts';
import type { Plan } from '../plan/types.ts';
import { PLAN_CONTEXT } from '../status/describe.ts';
import type { StatusReporter, StatusUpdate } from '../status/types.ts';
import type { PollerState } from './poller-state.ts';

const log = childLogger({ component: 'pr-plans' });

export interface PrPlanOptions {
  mirror: RepoMirror;
  state: PollerState;
  reporter: StatusReporter;
  patterns: readonly string[];
  trackedHead: string;
  globs?: string[];
  defaultNamespace?: string;
}

export interface PrPlanResult {
  ref: string;
  sha: string;
  base: string;
  status: StatusUpdate;
}

/** Plans every matching ref whose head changed since it was last planned. */
export async function planPullRequests(options: PrPlanOptions): Promise<PrPlanResult[]> {
  const results: PrPlanResult[] = [];
  for (const pattern of options.patterns) {
    for (const { ref, sha } of await options.mirror.listRefs(pattern)) {
      if (sha === options.trackedHead) continue;
      if ((await options.state.prPlanned(ref)) === sha) continue;
      const base = await options.mirror.mergeBase(options.trackedHead, sha);
      if (!base) {
        log.warn({ ref }, 'no merge base with the tracked branch: not planned');
        continue;
      }
      try {
        const plan = await planGitRange({
          repoDir: options.mirror.dir,
          base,
          head: sha,
          ...(options.globs?.length ? { globs: options.globs } : {}),
          ...(options.defaultNamespace ? { defaultNamespace: options.defaultNamespace } : {}),
        });
        const status = summarizePlan(plan);
        await options.reporter.report(sha, status);
        await options.state.setPrPlanned(ref, sha);
        results.push({ ref, sha, base, status });
      } catch (err) {
        log.warn(
          { ref, err: err instanceof Error ? err.message : String(err) },
          'planning a pull request failed',
        );
      }
    }
  }
  return results;
}

/** success when every transition is safe and every manifest valid; failure otherwise, in one line. */
export function summarizePlan(plan: Plan): StatusUpdate {
  const count = plan.transitions.length;
  const approvals = plan.transitions
    .filter((t) => t.safety === 'needs-approval')
    .map((t) => `${t.namespace}/${t.name}`);
  const losses = plan.transitions
    .filter((t) => t.safety === 'state-loss')
    .map((t) => `${t.namespace}/${t.name}`);
  const parts = [`${count} deployment${count === 1 ? '' : 's'} change${count === 1 ? 's' : ''}`];
  if (plan.errors.length)
    parts.push(
      `${plan.errors.length} invalid manifest${plan.errors.length === 1 ? '' : 's'} (${plan.errors[0].file}:${plan.errors[0].line})`,
    );
  if (approvals.length) parts.push(`needs approval: ${approvals.join(', ')}`);
  if (losses.length) parts.push(`loses state: ${losses.join(', ')}`);
  const safe = !plan.errors.length && !approvals.length && !losses.length;
  return {
    context: PLAN_CONTEXT,
    state: safe ? 'success' : 'failure',
    description: safe ? `${parts[0]}, all safe` : parts.join('; '),
  };
}
