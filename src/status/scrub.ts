// Secret scrubbing for anything that leaves flinkops as a status (descriptions end up on GitHub,
// GitLab and in shared git notes): credentials in URLs, bearer/basic headers, token-looking values.
import { redactKnownSecrets } from '../log.ts';

const PATTERNS: [RegExp, string][] = [
  // scheme://user:password@host or scheme://token@host
  [/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[redacted]@'],
  // Authorization: Bearer xyz / Basic xyz / PRIVATE-TOKEN: xyz
  [/\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\b(private-token|authorization|x-access-token)(["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, '$1$2[redacted]'],
  // key=value / "key": "value" for secret-sounding keys
  [
    /\b([a-z0-9_]*(?:password|passwd|secret|token|apikey|api_key|access_key)[a-z0-9_]*)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
    '$1$2[redacted]',
  ],
  // well-known token formats: GitHub (ghp_, gho_, ghs_, github_pat_), GitLab (glpat-), AWS access keys
  [
    /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16})\b/g,
    '[redacted]',
  ],
];

/** Removes credentials from free text; `secrets` are exact values known to the caller (configured tokens). */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = redactKnownSecrets(text, secrets);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
