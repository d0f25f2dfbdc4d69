// The plan as a pull-request comment: a summary table (deployment, change, steps, safety), then per
// deployment its warnings and the spec diff, then manifest errors with file:line:column.
import type { Plan, Transition } from './types.ts';

const SAFETY_LABEL: Record<Transition['safety'], string> = {
  safe: 'safe',
  'needs-approval': '⚠️ needs-approval',
  'state-loss': '🛑 state-loss',
};

export function renderMarkdown(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`## flinkops plan \`${short(plan.base)}\` → \`${short(plan.head)}\``, '');
  if (plan.transitions.length === 0) {
    lines.push('No FlinkDeployment changes.', '');
  } else {
    lines.push('| deployment | change | steps | safety |', '|---|---|---|---|');
    for (const t of plan.transitions) {
      const steps = t.steps.map((s) => `\`${s.action}\``).join(' → ');
      lines.push(
        `| ${cell(`${t.namespace}/${t.name}`)} | ${t.change} | ${steps} | ${SAFETY_LABEL[t.safety]} |`,
      );
    }
    lines.push('');
    for (const t of plan.transitions) lines.push(...renderTransition(t));
  }
  if (plan.errors.length > 0) {
    lines.push(`### Manifest errors (${plan.errors.length})`, '');
    for (const e of plan.errors) lines.push(`- \`${e.file}:${e.line}:${e.column}\` ${inline(e.message)}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function renderTransition(t: Transition): string[] {
  const out = [`### ${t.namespace}/${t.name} (${t.change}, ${t.safety})`, ''];
  for (const [i, s] of t.steps.entries()) out.push(`${i + 1}. \`${s.action}\`: ${inline(s.reason)}`);
  out.push('');
  if (t.warnings.length > 0) {
    for (const w of t.warnings) out.push(`- **${w.code}**: ${inline(w.message)}`);
    out.push('');
  }
  out.push(
    `<details><summary>spec diff (${t.diff.length} operation${t.diff.length === 1 ? '' : 's'})</summary>`,
    '',
  );
  out.push('```json', JSON.stringify(t.diff, null, 2), '```', '', '</details>', '');
  return out;
}

function short(sha: string): string {
  return /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 12) : sha;
}

function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|');
}

/** Keeps user-controlled text from opening HTML or breaking the list item. */
function inline(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
