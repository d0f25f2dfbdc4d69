// flinkConfiguration as Flink sees it: one flat map of string keys to string values. Manifests write it
// flat (`state.savepoints.dir: ...`) or nested (`state: {savepoints.dir: ...}`), numbers unquoted; both
// forms mean the same configuration, so rules and comparisons work on the flattened form.

export function flattenFlinkConfiguration(config: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, prefix: string) => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        walk(inner, prefix ? `${prefix}.${key}` : key);
      }
      return;
    }
    if (!prefix) return;
    out[prefix] = Array.isArray(value) ? value.map(String).join(';') : String(value);
  };
  walk(config, '');
  return out;
}

export function configValue(config: Record<string, string>, key: string): string | undefined {
  const value = config[key];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** state.checkpoints.dir (or Flink 1.20's execution.checkpointing.dir): where checkpoints go */
export function checkpointsDir(config: Record<string, string>): string | undefined {
  return configValue(config, 'state.checkpoints.dir') ?? configValue(config, 'execution.checkpointing.dir');
}

/** state.savepoints.dir (or Flink 1.20's execution.checkpointing.savepoint-dir): where savepoints go */
export function savepointsDir(config: Record<string, string>): string | undefined {
  return (
    configValue(config, 'state.savepoints.dir') ??
    configValue(config, 'execution.checkpointing.savepoint-dir')
  );
}

/** `high-availability` (Flink >= 1.17 name) or the older `high-availability.type`, anything but NONE. */
export function highAvailabilityConfigured(config: Record<string, string>): boolean {
  const value = configValue(config, 'high-availability.type') ?? configValue(config, 'high-availability');
  return value !== undefined && value.toUpperCase() !== 'NONE';
}
