// The configured credentials never reach a log line, whatever module writes it (the worker host's
// "step failed" line carries the operator's text, which may quote anything): every line of the
// process' logger — the root and all its child loggers share one set of hooks — has the exact values
// replaced, as written and JSON-escaped, before it is written. Exact values only: pino's redaction of
// secret-named keys (src/log.ts) stays, and the status scrubber's patterns are for descriptions.
import { pino } from 'pino';
import { logger } from '../log.ts';
import { redactKnownSecrets } from '../status/scrub.ts';

type Hooks = { streamWrite?: (line: string) => string; [other: string]: unknown };

const known = new Set<string>();
let values: string[] = [];
let installed = false;

/** Redacts these values from every log line of this process from now on (values add up across calls). */
export function redactSecretsInLogs(secrets: readonly string[]): void {
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    known.add(secret);
    // how the value reads inside a JSON log line (quotes, backslashes, control characters escaped)
    known.add(JSON.stringify(secret).slice(1, -1));
  }
  // longest first, so a secret containing another is redacted whole
  values = [...known].sort((a, b) => b.length - a.length);
  if (installed || values.length === 0) return;
  installed = true;
  const target = logger as unknown as Record<symbol, Hooks>;
  const hooks = target[pino.symbols.hooksSym] ?? {};
  const previous = hooks.streamWrite;
  // an own hooks object: pino shares its default one between all the loggers it creates
  target[pino.symbols.hooksSym] = {
    ...hooks,
    streamWrite: (line: string) => redactKnownSecrets(previous ? previous(line) : line, values),
  };
}
