// Contexts and one-line descriptions for commit statuses, in the words issue 5 uses, so every
// provider and every caller (poller, workers) says the same thing the same way.
import { scrubSecrets } from './scrub.ts';
import type { StatusUpdate } from './types.ts';

/** GitHub rejects longer descriptions (422); GitLab accepts more but the same limit reads well. */
export const MAX_DESCRIPTION = 140;

export const PLAN_CONTEXT = 'flinkops/plan';

export function deploymentContext(namespace: string, name: string): string {
  return `flinkops/${namespace}/${name}`;
}

/** One line, no secrets, at most `max` characters (code points), cut with an ellipsis. */
export function shortenDescription(
  text: string,
  max = MAX_DESCRIPTION,
  secrets: readonly string[] = [],
): string {
  const line = scrubSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  if (chars.length <= max) return line;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}

/**
 * The operator's status.error is a JSON string {"type": "<java class>", "message": "..."}; the
 * message is what a person needs, prefixed by the exception's simple class name when there is one.
 */
export function operatorErrorText(error: string): string {
  const trimmed = error.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  try {
    const parsed = JSON.parse(trimmed) as { type?: unknown; message?: unknown };
    const message = typeof parsed.message === 'string' ? parsed.message : '';
    const type = typeof parsed.type === 'string' ? (parsed.type.split('.').pop() ?? '') : '';
    if (!message) return type || trimmed;
    return type && !message.includes(type) ? `${type}: ${message}` : message;
  } catch {
    return trimmed;
  }
}

export function describeQueued(actions: readonly string[]): string {
  return actions.length ? `queued: ${actions.join(', ')}` : 'queued';
}

/** `index` is 1-based: "step 2/3: upgrade" */
export function describeStep(index: number, total: number, action: string): string {
  return `step ${index}/${total}: ${action}`;
}

/** "done: savepoint-suspend, upgrade, resume", with an optional remark: "done: guarded-delete (no state existed, ...)" */
export function describeSuccess(actions: readonly string[] = [], note?: string): string {
  const done = actions.length ? `done: ${actions.join(', ')}` : 'done';
  return note ? `${done} (${note})` : done;
}

/** "upgrade failed: <the operator's message>", shortened and scrubbed */
export function describeFailure(action: string | undefined, cause: string): string {
  const text = operatorErrorText(cause);
  return shortenDescription(action ? `${action} failed: ${text}` : `failed: ${text}`);
}

export function describeNeedsApproval(namespace: string, name: string): string {
  return `needs approval: add trailer Flinkops-Approve-Delete: ${namespace}/${name}`;
}

export function describeSuperseded(sha: string): string {
  return `superseded by ${sha.slice(0, 12)}`;
}

/** Ready-made updates for a deployment's transition, one per moment of its life. */
export const transitionStatus = {
  queued(namespace: string, name: string, actions: readonly string[], targetUrl?: string): StatusUpdate {
    return update(namespace, name, 'pending', describeQueued(actions), targetUrl);
  },
  step(
    namespace: string,
    name: string,
    index: number,
    total: number,
    action: string,
    targetUrl?: string,
  ): StatusUpdate {
    return update(namespace, name, 'pending', describeStep(index, total, action), targetUrl);
  },
  succeeded(
    namespace: string,
    name: string,
    actions: readonly string[],
    targetUrl?: string,
    note?: string,
  ): StatusUpdate {
    return update(namespace, name, 'success', describeSuccess(actions, note), targetUrl);
  },
  failed(
    namespace: string,
    name: string,
    action: string | undefined,
    cause: string,
    targetUrl?: string,
  ): StatusUpdate {
    return update(namespace, name, 'failure', describeFailure(action, cause), targetUrl);
  },
  needsApproval(namespace: string, name: string, targetUrl?: string): StatusUpdate {
    return update(namespace, name, 'failure', describeNeedsApproval(namespace, name), targetUrl);
  },
  /**
   * A commit whose change was folded into a newer commit's transition: it is not in error, and a
   * pending status would hang forever, so it ends as success and names the commit that carried it.
   */
  superseded(namespace: string, name: string, newerSha: string, targetUrl?: string): StatusUpdate {
    return update(namespace, name, 'success', describeSuperseded(newerSha), targetUrl);
  },
};

/** The parts of a plan (src/plan/types.ts Plan) the plan status needs; structural, so status does not import the planner. */
export interface PlanSummaryInput {
  transitions: readonly {
    namespace: string;
    name: string;
    change: string;
    safety: 'safe' | 'needs-approval' | 'state-loss';
  }[];
  errors: readonly { file: string; line: number; message: string }[];
}

/**
 * `flinkops/plan` for a pull-request head: success when every transition is safe, failure when a
 * manifest is invalid, a delete needs approval or a change loses state, with a one-line summary.
 */
export function planStatus(plan: PlanSummaryInput, targetUrl?: string): StatusUpdate {
  const keys = (safety: string) =>
    plan.transitions.filter((t) => t.safety === safety).map((t) => `${t.namespace}/${t.name}`);
  const problems: string[] = [];
  if (plan.errors.length) {
    const [first] = plan.errors;
    const more = plan.errors.length > 1 ? ` (+${plan.errors.length - 1} more)` : '';
    problems.push(`invalid manifest ${first.file}:${first.line}: ${first.message}${more}`);
  }
  const losing = keys('state-loss');
  if (losing.length) problems.push(`loses state: ${losing.join(', ')}`);
  const approval = keys('needs-approval');
  if (approval.length) problems.push(`needs approval: ${approval.join(', ')}`);
  let description: string;
  if (problems.length) {
    description = problems.join('; ');
  } else if (plan.transitions.length === 0) {
    description = 'no FlinkDeployment changes';
  } else {
    const counts = new Map<string, number>();
    for (const t of plan.transitions) counts.set(t.change, (counts.get(t.change) ?? 0) + 1);
    const parts = [...counts].map(([change, n]) => `${n} ${change}`);
    const n = plan.transitions.length;
    description = `safe: ${n} transition${n === 1 ? '' : 's'} (${parts.join(', ')})`;
  }
  const out: StatusUpdate = {
    context: PLAN_CONTEXT,
    state: problems.length ? 'failure' : 'success',
    description: shortenDescription(description),
  };
  if (targetUrl) out.targetUrl = targetUrl;
  return out;
}

function update(
  namespace: string,
  name: string,
  state: StatusUpdate['state'],
  description: string,
  targetUrl?: string,
): StatusUpdate {
  const out: StatusUpdate = {
    context: deploymentContext(namespace, name),
    state,
    description: shortenDescription(description),
  };
  if (targetUrl) out.targetUrl = targetUrl;
  return out;
}
