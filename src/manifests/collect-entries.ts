// Identity is namespace/name, never the file: the same deployment defined twice (in one file or two)
// is an error naming both places, and neither definition is planned.
import type { ManifestEntry, ManifestError } from './types.ts';

export interface CollectedEntries {
  byKey: Map<string, ManifestEntry>;
  errors: ManifestError[];
  duplicateKeys: Set<string>;
}

export function collectEntries(entries: readonly ManifestEntry[]): CollectedEntries {
  const byKey = new Map<string, ManifestEntry>();
  const errors: ManifestError[] = [];
  const duplicateKeys = new Set<string>();
  const sorted = [...entries].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
  for (const entry of sorted) {
    const first = byKey.get(entry.key);
    if (!first) {
      byKey.set(entry.key, entry);
      continue;
    }
    duplicateKeys.add(entry.key);
    errors.push({
      file: entry.file,
      line: entry.line,
      column: entry.column,
      message: `FlinkDeployment ${entry.key} is defined twice: here and at ${first.file}:${first.line}:${first.column}`,
    });
  }
  for (const key of duplicateKeys) byKey.delete(key);
  return { byKey, errors, duplicateKeys };
}
