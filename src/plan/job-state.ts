// What the planner needs to know about a deployment's job: application or session cluster, desired
// state and upgrade mode (with the operator's defaults), state directories, and in live mode whether
// the job really runs (status, not spec, decides: the operator may have suspended or failed it).

import {
  checkpointsDir,
  configValue,
  flattenFlinkConfiguration,
  highAvailabilityConfigured,
  savepointsDir,
} from '../manifests/flink-config.ts';
import type { FlinkDeployment, JobState, UpgradeMode } from '../manifests/types.ts';

export interface JobFacts {
  /** no spec.job: a session cluster without job state of its own */
  session: boolean;
  state: JobState;
  upgradeMode: UpgradeMode;
  savepointsDir: string | undefined;
  checkpointsDir: string | undefined;
  highAvailability: boolean;
  initialSavepointPath: string | undefined;
  allowNonRestoredState: boolean;
  /** null when unset: the operator ignores a null nonce */
  savepointTriggerNonce: number | null;
  flinkVersion: string | undefined;
  mode: 'native' | 'standalone';
  /** scheduler-mode: reactive (standalone clusters rescale in place) */
  reactive: boolean;
}

export function jobFacts(manifest: FlinkDeployment): JobFacts {
  const spec = manifest.spec ?? {};
  const job = spec.job;
  const config = flattenFlinkConfiguration(spec.flinkConfiguration);
  const initial = job?.initialSavepointPath;
  return {
    session: !job,
    state: job?.state === 'suspended' ? 'suspended' : 'running',
    upgradeMode: job?.upgradeMode ?? 'stateless',
    savepointsDir: savepointsDir(config),
    checkpointsDir: checkpointsDir(config),
    highAvailability: highAvailabilityConfigured(config),
    initialSavepointPath: typeof initial === 'string' && initial.trim() !== '' ? initial : undefined,
    allowNonRestoredState: job?.allowNonRestoredState === true,
    savepointTriggerNonce: job?.savepointTriggerNonce ?? null,
    flinkVersion: spec.flinkVersion,
    mode: spec.mode === 'standalone' ? 'standalone' : 'native',
    reactive: configValue(config, 'scheduler-mode')?.toLowerCase() === 'reactive',
  };
}

const TERMINAL_JOB_STATES = new Set(['FAILED', 'FINISHED', 'CANCELED']);

export interface LiveJob {
  /** what the job really is in: suspended when the operator last drove it there */
  state: JobState;
  /** FAILED/FINISHED/CANCELED while meant to run: nothing to stop, no savepoint possible */
  terminalState: string | null;
}

/** Reads the live object's status (live mode); falls back to its spec when there is no status. */
export function liveJob(live: FlinkDeployment): LiveJob {
  const status = live.status;
  const specState = jobFacts(live).state;
  if (!status) return { state: specState, terminalState: null };
  let reconciledState: string | undefined;
  const lastReconciled = status.reconciliationStatus?.lastReconciledSpec;
  if (typeof lastReconciled === 'string' && lastReconciled.length > 0) {
    try {
      reconciledState = (JSON.parse(lastReconciled) as { spec?: { job?: { state?: string } } }).spec?.job
        ?.state;
    } catch {
      // an unparsable lastReconciledSpec says nothing; lifecycleState and the spec still do
    }
  }
  // lastReconciledSpec holds the state the operator last drove the job into; it wins over the live spec,
  // which may already say something the operator has not acted on yet
  const suspended =
    status.lifecycleState === 'SUSPENDED' ||
    reconciledState === 'suspended' ||
    (reconciledState === undefined && specState === 'suspended');
  if (suspended) return { state: 'suspended', terminalState: null };
  if (reconciledState === 'running' && specState === 'suspended')
    return { state: 'running', terminalState: null };
  const jobState = status.jobStatus?.state;
  return {
    state: 'running',
    terminalState: jobState && TERMINAL_JOB_STATES.has(jobState) ? jobState : null,
  };
}
