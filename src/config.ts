// Settings of `flinkops run`, from (lowest to highest precedence) a config file, FLINKOPS_* environment
// variables and command-line flags, validated with zod. Every error names the setting at fault.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const duration = z.coerce.number().int().positive();

export const RunConfigSchema = z.object({
  repo: z
    .string({ error: 'the repository URL or path is required' })
    .min(1, 'the repository URL or path is required'),
  branch: z.string().min(1).default('main'),
  paths: z.array(z.string().min(1)).default([]),
  defaultNamespace: z.string().min(1).default('default'),
  kubeconfig: z.string().min(1).optional(),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  role: z.enum(['poller', 'worker', 'all']).default('all'),
  once: z.boolean().default(false),
  listen: z
    .string()
    .regex(/^[^:]+:\d+$|^\[[^\]]+\]:\d+$/, 'must be host:port')
    .default('127.0.0.1:8080'),
  noServer: z.boolean().default(false),
  publicUrl: z.string().url().optional(),
  workDir: z.string().min(1).default('.flinkops'),
  pollIntervalMs: duration.default(30_000),
  concurrency: z.coerce.number().int().min(1).max(256).default(8),
  rollback: z.enum(['auto', 'off']).default('off'),
  status: z.enum(['notes', 'github', 'gitlab']).default('notes'),
  prRefPatterns: z.array(z.string().min(1)).default([]),
  gitToken: z.string().min(1).optional(),
  gitUsername: z.string().min(1).optional(),
  github: z
    .object({
      token: z.string().min(1),
      owner: z.string().min(1),
      repo: z.string().min(1),
      baseUrl: z.string().url().optional(),
    })
    .optional(),
  gitlab: z
    .object({ token: z.string().min(1), projectId: z.string().min(1), host: z.string().url().optional() })
    .optional(),
  ui: z
    .object({
      token: z.string().min(1).optional(),
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      readOnly: z.boolean().default(false),
    })
    .default({ readOnly: false }),
  webhook: z
    .object({ githubSecret: z.string().min(1).optional(), genericToken: z.string().min(1).optional() })
    .default({}),
  timeouts: z
    .object({
      create: duration.optional(),
      savepoint: duration.optional(),
      'savepoint-suspend': duration.optional(),
      suspend: duration.optional(),
      upgrade: duration.optional(),
      resume: duration.optional(),
      'guarded-delete': duration.optional(),
    })
    .default({}),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** FLINKOPS_* variables and the setting each one feeds (secrets come from here or a file, never from flags in logs). */
const ENV_MAP: Record<string, string> = {
  FLINKOPS_REPO: 'repo',
  FLINKOPS_BRANCH: 'branch',
  FLINKOPS_PATHS: 'paths',
  FLINKOPS_DEFAULT_NAMESPACE: 'defaultNamespace',
  FLINKOPS_KUBECONFIG: 'kubeconfig',
  FLINKOPS_REDIS_URL: 'redisUrl',
  FLINKOPS_ROLE: 'role',
  FLINKOPS_LISTEN: 'listen',
  FLINKOPS_PUBLIC_URL: 'publicUrl',
  FLINKOPS_WORK_DIR: 'workDir',
  FLINKOPS_POLL_INTERVAL_MS: 'pollIntervalMs',
  FLINKOPS_CONCURRENCY: 'concurrency',
  FLINKOPS_ROLLBACK: 'rollback',
  FLINKOPS_STATUS: 'status',
  FLINKOPS_PR_REFS: 'prRefPatterns',
  FLINKOPS_GIT_TOKEN: 'gitToken',
  FLINKOPS_GIT_USERNAME: 'gitUsername',
  FLINKOPS_GITHUB_TOKEN: 'github.token',
  FLINKOPS_GITHUB_OWNER: 'github.owner',
  FLINKOPS_GITHUB_REPO: 'github.repo',
  FLINKOPS_GITHUB_API_URL: 'github.baseUrl',
  FLINKOPS_GITLAB_TOKEN: 'gitlab.token',
  FLINKOPS_GITLAB_PROJECT: 'gitlab.projectId',
  FLINKOPS_GITLAB_URL: 'gitlab.host',
  FLINKOPS_UI_TOKEN: 'ui.token',
  FLINKOPS_UI_USER: 'ui.user',
  FLINKOPS_UI_PASSWORD: 'ui.password',
  FLINKOPS_UI_READ_ONLY: 'ui.readOnly',
  FLINKOPS_WEBHOOK_SECRET: 'webhook.githubSecret',
  FLINKOPS_WEBHOOK_TOKEN: 'webhook.genericToken',
};

const LIST_SETTINGS = new Set(['paths', 'prRefPatterns']);
const BOOLEAN_SETTINGS = new Set(['ui.readOnly', 'once', 'noServer']);

/**
 * Builds the run configuration. `flags` are the parsed CLI options already mapped to setting paths
 * (e.g. { repo, 'ui.token': ... }); undefined values are ignored.
 */
export function loadRunConfig(options: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, unknown>;
}): RunConfig {
  const merged: Record<string, unknown> = {};
  const problems: string[] = [];
  if (options.file) {
    try {
      const raw = parseYaml(readFileSync(options.file, 'utf8'), { maxAliasCount: 10 });
      if (raw !== null && typeof raw === 'object' && !Array.isArray(raw))
        deepAssign(merged, raw as Record<string, unknown>);
      else problems.push(`config file ${options.file}: must hold a mapping of settings`);
    } catch (err) {
      problems.push(`config file ${options.file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const [variable, path] of Object.entries(ENV_MAP)) {
    const value = options.env?.[variable];
    if (value === undefined || value === '') continue;
    setPath(merged, path, coerce(path, value));
  }
  for (const [path, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    setPath(merged, path, value);
  }
  const result = RunConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.join('.') || '(root)';
      const envName = Object.entries(ENV_MAP).find(([, p]) => p === path)?.[0];
      problems.push(`${path}${envName ? ` (${envName})` : ''}: ${issue.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const config = result.data as RunConfig;
  const crossProblems = crossCheck(config);
  if (crossProblems.length) throw new ConfigError(crossProblems);
  return config;
}

/**
 * Every credential the configuration holds (git, GitHub and GitLab tokens, the UI token and password,
 * the webhook secret and token, a password in the Redis URL): flinkops scrubs them from every commit
 * status, log line and printed result.
 */
export function configuredSecrets(config: RunConfig): string[] {
  let redisPassword: string | undefined;
  try {
    const url = new URL(config.redisUrl);
    redisPassword = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    redisPassword = undefined;
  }
  const all = [
    config.gitToken,
    config.github?.token,
    config.gitlab?.token,
    config.ui.token,
    config.ui.password,
    config.webhook.githubSecret,
    config.webhook.genericToken,
    redisPassword,
  ];
  return [...new Set(all.filter((s): s is string => typeof s === 'string' && s.length > 0))];
}

function crossCheck(config: RunConfig): string[] {
  const problems: string[] = [];
  if (config.status === 'github' && !config.github)
    problems.push('github: status "github" needs github.token, github.owner and github.repo');
  if (config.status === 'gitlab' && !config.gitlab)
    problems.push('gitlab: status "gitlab" needs gitlab.token and gitlab.projectId');
  if ((config.ui.user && !config.ui.password) || (!config.ui.user && config.ui.password)) {
    problems.push('ui.user / ui.password: basic auth needs both');
  }
  return problems;
}

function coerce(path: string, value: string): unknown {
  if (LIST_SETTINGS.has(path))
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (BOOLEAN_SETTINGS.has(path)) return value === 'true' || value === '1' || value === 'yes';
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function deepAssign(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      deepAssign(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}
