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

// Logs go to stderr: stdout belongs to command output (plan JSON, the sim URL line, the demo story).
export const logger: Logger = pino(
  {
    name: 'flinkops',
    level: process.env.FLINKOPS_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: undefined,
  },
  pino.destination({ fd: 2, sync: false }),
);

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
