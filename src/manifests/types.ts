// The typed FlinkDeployment model shared by the planner, the cluster client and the simulator.
// Only the fields flinkops reasons about are named; everything else passes through untouched.

export const FLINK_API_VERSION = 'flink.apache.org/v1beta1';
export const FLINK_DEPLOYMENT_KIND = 'FlinkDeployment';

export type JobState = 'running' | 'suspended';
export type UpgradeMode = 'stateless' | 'savepoint' | 'last-state';

export interface JobSpec {
  jarURI?: string;
  entryClass?: string;
  args?: string[];
  parallelism?: number;
  state?: JobState;
  upgradeMode?: UpgradeMode;
  savepointTriggerNonce?: number | null;
  checkpointTriggerNonce?: number | null;
  initialSavepointPath?: string | null;
  allowNonRestoredState?: boolean | null;
  savepointRedeployNonce?: number | null;
  autoscalerResetNonce?: number | null;
  [key: string]: unknown;
}

export interface FlinkDeploymentSpec {
  image?: string;
  flinkVersion?: string;
  mode?: 'native' | 'standalone';
  flinkConfiguration?: Record<string, string>;
  restartNonce?: number | null;
  job?: JobSpec;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface FlinkDeployment {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: FlinkDeploymentSpec;
  status?: FlinkDeploymentStatus;
}

export interface SavepointInfo {
  lastSavepoint?: {
    timeStamp?: number;
    location?: string;
    triggerType?: string;
    formatType?: string;
    triggerNonce?: number;
  } | null;
  triggerId?: string | null;
  triggerTimestamp?: number | null;
  triggerType?: string | null;
  savepointHistory?: unknown[];
  [key: string]: unknown;
}

export interface FlinkDeploymentStatus {
  lifecycleState?: string;
  observedGeneration?: number;
  error?: string | null;
  jobManagerDeploymentStatus?: string;
  jobStatus?: {
    jobId?: string;
    jobName?: string;
    state?: string;
    startTime?: string;
    updateTime?: string;
    upgradeSavepointPath?: string | null;
    savepointInfo?: SavepointInfo;
    checkpointInfo?: Record<string, unknown>;
    [key: string]: unknown;
  };
  reconciliationStatus?: {
    state?: string;
    lastReconciledSpec?: string;
    lastStableSpec?: string;
    reconciliationTimestamp?: number;
    [key: string]: unknown;
  };
  conditions?: unknown[];
  [key: string]: unknown;
}

/** One FlinkDeployment found in a repository at some revision. Identity is namespace/name, never the path. */
export interface ManifestEntry {
  namespace: string;
  name: string;
  /** `${namespace}/${name}` */
  key: string;
  /** repo-relative path of the file holding it */
  file: string;
  /** 1-based position of the document's start in that file */
  line: number;
  column: number;
  manifest: FlinkDeployment;
}

/** An input problem, always pointing at a repo-relative file and a 1-based line/column. */
export interface ManifestError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function deploymentKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** [namespace, name] of a deploymentKey (namespaces never hold a '/'). */
export function splitDeploymentKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
