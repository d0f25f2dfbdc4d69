// --state for the embedded cluster: the object store and the simulator's own state in one JSON file,
// written atomically (temp file + rename) so a crash mid-write never leaves a torn file behind.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoreSnapshot } from './store.ts';

export interface SimState {
  version: 1;
  savedAt: string;
  store: StoreSnapshot;
  simulator: unknown;
}

export function writeStateFile(path: string, state: Omit<SimState, 'version' | 'savedAt'>): void {
  mkdirSync(dirname(path), { recursive: true });
  const full: SimState = { version: 1, savedAt: new Date().toISOString(), ...state };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(full));
  renameSync(temp, path);
}

/** undefined when the file does not exist yet; throws with the path when it exists but cannot be used. */
export function readStateFile(path: string): SimState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: SimState;
  try {
    parsed = JSON.parse(text) as SimState;
  } catch (err) {
    throw new Error(
      `${path}: sim state is not valid JSON (${(err as Error).message}); move it away to start empty`,
    );
  }
  if (
    parsed?.version !== 1 ||
    typeof parsed.store?.resourceVersion !== 'number' ||
    !Array.isArray(parsed.store.objects)
  ) {
    throw new Error(
      `${path}: not a flinkops sim state file (expected {version: 1, store: {resourceVersion, objects}})`,
    );
  }
  return parsed;
}
