// One structured logger for the whole process. Secrets are redacted by path; never log credentials.
import { pino, type Logger } from 'pino';

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

export const logger: Logger = pino({
  name: 'flinkops',
  level: process.env.FLINKOPS_LOG_LEVEL ?? 'info',
  redact: { paths: REDACT, censor: '[redacted]' },
  base: undefined,
});

export function childLogger(bindings: Record<string, unknown>): Logger {
  return logger.child(bindings);
}
