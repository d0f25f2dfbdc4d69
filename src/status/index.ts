// createReporter: the one way the rest of flinkops gets a status reporter. The provider is
// chosen by name (notes | github | gitlab), its options validated with zod (every error names
// the setting), and the result is always wrapped in the reporting policy (policy.ts), so a
// status that cannot be written never fails a Flink transition.
import { z } from 'zod';
import { GitHubStatusReporter } from './github.ts';
import { GitLabStatusReporter } from './gitlab.ts';
import { NotesStatusReporter, STATUS_NOTES_REF } from './notes.ts';
import { PolicyReporter } from './policy.ts';
import type { StatusReporter } from './types.ts';

export * from './describe.ts';
export {
  mergeStatusNotes,
  NotesStatusReporter,
  STATUS_NOTES_REF,
  type StatusEntry,
  type StatusNote,
} from './notes.ts';
export { PolicyReporter, type ReportingPolicy, type ReportOutcome } from './policy.ts';
export { scrubSecrets } from './scrub.ts';
export * from './types.ts';

const policySchema = z
  .object({
    attempts: z.number().int().min(1).max(20).optional(),
    baseDelayMs: z.number().int().min(0).max(60_000).optional(),
    maxDelayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict()
  .optional();

/** every credential flinkops is configured with (not only the provider's own token): scrubbed from each status */
const secretsSchema = z.array(z.string()).optional();

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL');

const notesSchema = z
  .object({
    provider: z.literal('notes'),
    repoDir: z.string().min(1, 'the repository directory holding the notes is required'),
    ref: z
      .string()
      .regex(/^refs\/notes\/[A-Za-z0-9._/-]+$/, 'must be a full ref under refs/notes/')
      .default(STATUS_NOTES_REF),
    remote: z.union([z.string().min(1), z.literal(false)]).optional(),
    env: z.record(z.string(), z.string()).optional(),
    policy: policySchema,
    secrets: secretsSchema,
  })
  .strict();

const githubSchema = z
  .object({
    provider: z.literal('github'),
    token: z.string().min(1, 'a GitHub token is required (repo:status scope)'),
    owner: z.string().min(1),
    repo: z.string().min(1),
    baseUrl: httpUrl.default('https://api.github.com'),
    timeoutMs: z.number().int().positive().optional(),
    policy: policySchema,
    secrets: secretsSchema,
  })
  .strict();

const gitlabSchema = z
  .object({
    provider: z.literal('gitlab'),
    token: z.string().min(1, 'a GitLab token is required (api scope)'),
    projectId: z.union([z.string().min(1), z.number().int().positive()]),
    host: httpUrl.default('https://gitlab.com'),
    timeoutMs: z.number().int().positive().optional(),
    policy: policySchema,
    secrets: secretsSchema,
  })
  .strict();

export const reporterConfigSchema = z.discriminatedUnion('provider', [
  notesSchema,
  githubSchema,
  gitlabSchema,
]);
export type ReporterConfig = z.input<typeof reporterConfigSchema>;

export class StatusConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid status reporter configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'StatusConfigError';
  }
}

/**
 * Builds the configured reporter. `settingPrefix` is how the settings are named to the user
 * (e.g. "status" for a config file key, so errors read "status.token: ...").
 */
export function createReporter(config: unknown, settingPrefix = 'status'): PolicyReporter {
  const parsed = reporterConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new StatusConfigError(
      parsed.error.issues.flatMap((issue) => {
        const path = [settingPrefix, ...issue.path.map(String)].filter(Boolean).join('.');
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => `${path}.${key}: unknown setting`);
        }
        return [`${path}: ${issue.message}`];
      }),
    );
  }
  const cfg = parsed.data;
  let inner: StatusReporter;
  let secrets: string[] = cfg.secrets ?? [];
  switch (cfg.provider) {
    case 'notes':
      inner = new NotesStatusReporter({
        repoDir: cfg.repoDir,
        ref: cfg.ref,
        remote: cfg.remote,
        env: cfg.env,
        secrets,
      });
      break;
    case 'github':
      inner = new GitHubStatusReporter(cfg);
      secrets = [cfg.token, ...secrets];
      break;
    case 'gitlab':
      inner = new GitLabStatusReporter(cfg);
      secrets = [cfg.token, ...secrets];
      break;
  }
  return new PolicyReporter(inner, cfg.policy ?? {}, secrets);
}
