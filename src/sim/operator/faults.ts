// Faults are annotations on the FlinkDeployment, read on every pass: removing one clears the fault.
// An annotation edit is no spec change (generation stays), but the store's change event makes the
// simulator look again at once.
import type { ObjectMeta } from '../../manifests/types.ts';

export const FAULT_ANNOTATIONS = {
  savepoint: 'sim.flinkops.io/savepoint',
  start: 'sim.flinkops.io/start',
  ha: 'sim.flinkops.io/ha',
} as const;

export interface Faults {
  /** stop-with-savepoint and manual savepoints fail, or never complete */
  savepoint: 'fail' | 'hang' | null;
  /** a started job fails (FAILED with a job exception) */
  startFails: boolean;
  /** the HA ConfigMaps (checkpoint pointers) are missing */
  haLost: boolean;
}

export function readFaults(metadata: ObjectMeta): Faults {
  const annotations = metadata.annotations ?? {};
  const savepoint = annotations[FAULT_ANNOTATIONS.savepoint]?.trim().toLowerCase();
  return {
    savepoint: savepoint === 'fail' || savepoint === 'hang' ? savepoint : null,
    startFails: annotations[FAULT_ANNOTATIONS.start]?.trim().toLowerCase() === 'fail',
    haLost: annotations[FAULT_ANNOTATIONS.ha]?.trim().toLowerCase() === 'lost',
  };
}
