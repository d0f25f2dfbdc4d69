// One structured logger for the whole process. Secrets are redacted by path; never log credentials.
import { type Logger, pino } from 'pino';

const REDACT = [
  'token',
  'password',
  'secret',
  'authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'credentials',
  '*.credentials',
];

/** configured credentials (exact values, as written and JSON-escaped), longest first */
let knownSecrets: string[] = [];

// Logs go to stderr: stdout belongs to command output (plan JSON, the sim URL line, the demo story).
export const logger: Logger = pino(
  {
    name: 'flinkops',
    level: process.env.FLINKOPS_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: undefined,
    // every line of the root logger and its children: the configured credentials never reach a log line,
    // whatever module writes it (an operator's error text may quote anything)
    hooks: { streamWrite: redactConfiguredSecrets },
  },
  pino.destination({ fd: 2, sync: false }),
);

/**
 * Redacts these exact values from every log line of this process from now on (they add up across
 * calls). Redaction by key (REDACT above) stays; the status scrubber's patterns are for descriptions.
 */
export function redactSecretsInLogs(secrets: readonly string[]): void {
  const known = new Set(knownSecrets);
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    known.add(secret);
    // how the value reads inside a JSON log line (quotes, backslashes, control characters escaped)
    known.add(JSON.stringify(secret).slice(1, -1));
  }
  // longest first, so a secret containing another is redacted whole
  knownSecrets = [...known].sort((a, b) => b.length - a.length);
}

/** `text` without the values given to redactSecretsInLogs (for what leaves the process besides logs). */
export function redactConfiguredSecrets(text: string): string {
  return knownSecrets.length ? redactKnownSecrets(text, knownSecrets) : text;
}

/**
 * Only the exact values (no patterns): for text where a pattern could hit what is no credential, such as
 * whole JSON log lines. Values shorter than 4 characters are left alone (they would redact words).
 */
export function redactKnownSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets)
    if (secret && secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger.child(bindings);
}

/**
 * Sends every log line (the root logger and all its children, existing or future) to stderr from now on,
 * for commands whose stdout carries data (e.g. `flinkops sim` prints its URL there).
 */
export function logToStderr(): void {
  (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = pino.destination({
    dest: 2,
    sync: true,
  });
}
