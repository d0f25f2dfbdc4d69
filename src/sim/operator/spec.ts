// Reading a FlinkDeployment spec the way the operator does: flattened flinkConfiguration,
// lastReconciledSpec/lastStableSpec JSON strings, and the spec diff classes of section 1.
import { isDeepStrictEqual } from 'node:util';
import { flattenFlinkConfiguration } from '../../manifests/flink-config.ts';
import {
  type ChangeClass,
  configKeyClass,
  IGNORED_JOB_FIELDS,
} from '../../manifests/operator-change-classes.ts';
import { FLINK_API_VERSION, type FlinkDeploymentSpec, type UpgradeMode } from '../../manifests/types.ts';

export interface ReconciledSpec {
  spec: FlinkDeploymentSpec;
  resource_metadata: { apiVersion: string; firstDeployment: boolean };
}

export function readReconciled(json: string | null | undefined): ReconciledSpec | undefined {
  if (!json) return undefined;
  try {
    const parsed = JSON.parse(json) as ReconciledSpec;
    return parsed && typeof parsed === 'object' && parsed.spec ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function writeReconciled(spec: FlinkDeploymentSpec, firstDeployment: boolean): string {
  return JSON.stringify({ spec, resource_metadata: { apiVersion: FLINK_API_VERSION, firstDeployment } });
}

/** flinkConfiguration as flat dotted keys with string values (1.13+ also accepts nested YAML there) */
export function flatConfig(spec: FlinkDeploymentSpec | undefined): Record<string, string> {
  return flattenFlinkConfiguration(spec?.flinkConfiguration);
}

export function conf(spec: FlinkDeploymentSpec | undefined, key: string): string | undefined {
  const value = flatConfig(spec)[key];
  return value === undefined || value === '' ? undefined : value;
}

export function confBool(spec: FlinkDeploymentSpec | undefined, key: string, fallback: boolean): boolean {
  const value = conf(spec, key);
  return value === undefined ? fallback : value.trim().toLowerCase() === 'true';
}

export function confInt(spec: FlinkDeploymentSpec | undefined, key: string, fallback: number): number {
  const value = Number.parseInt(conf(spec, key) ?? '', 10);
  return Number.isFinite(value) ? value : fallback;
}

export type SavepointFormat = 'CANONICAL' | 'NATIVE';

/**
 * kubernetes.operator.savepoint.format.type: CANONICAL (default) or NATIVE, the format of every savepoint
 * the operator takes. Flink reads enum options case-insensitively; anything else counts as the default
 * here (status fields only allow CANONICAL | NATIVE | UNKNOWN).
 */
export function savepointFormatOf(spec: FlinkDeploymentSpec | undefined): SavepointFormat {
  return conf(spec, 'kubernetes.operator.savepoint.format.type')?.trim().toUpperCase() === 'NATIVE'
    ? 'NATIVE'
    : 'CANONICAL';
}

/** HA is "activated" when high-availability(.type) names anything but NONE */
export function haEnabled(spec: FlinkDeploymentSpec | undefined): boolean {
  const mode = conf(spec, 'high-availability.type') ?? conf(spec, 'high-availability');
  return mode !== undefined && mode.trim().toUpperCase() !== 'NONE';
}

export function upgradeModeOf(spec: FlinkDeploymentSpec | undefined): UpgradeMode {
  return spec?.job?.upgradeMode ?? 'stateless';
}

export function jobStateOf(spec: FlinkDeploymentSpec | undefined): 'running' | 'suspended' {
  return spec?.job?.state ?? 'running';
}

export function isSession(spec: FlinkDeploymentSpec | undefined): boolean {
  return spec?.job === undefined || spec.job === null;
}

export type DiffType = ChangeClass;
const ORDER: DiffType[] = ['IGNORE', 'SCALE', 'UPGRADE', 'SAVEPOINT_REDEPLOY'];

export interface SpecDiff {
  type: DiffType;
  /** changed field paths with their class, e.g. "job.jarURI (UPGRADE)" */
  fields: string[];
}

/** The operator's ReflectiveDiffBuilder in miniature: the largest class among changed fields. */
export function diffSpecs(desired: FlinkDeploymentSpec, reconciled: FlinkDeploymentSpec): SpecDiff {
  const fields: string[] = [];
  let type: DiffType = 'IGNORE';
  const note = (path: string, cls: DiffType): void => {
    fields.push(`${path} (${cls})`);
    if (ORDER.indexOf(cls) > ORDER.indexOf(type)) type = cls;
  };
  const standalone = desired.mode === 'standalone';
  const keys = new Set([...Object.keys(desired), ...Object.keys(reconciled)]);
  for (const key of keys) {
    const after = (desired as Record<string, unknown>)[key];
    const before = (reconciled as Record<string, unknown>)[key];
    if (key === 'flinkConfiguration') {
      const a = flatConfig(desired);
      const b = flatConfig(reconciled);
      for (const configKey of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (a[configKey] !== b[configKey]) note(`flinkConfiguration.${configKey}`, configKeyClass(configKey));
      }
    } else if (key === 'job') {
      const a = (after ?? {}) as Record<string, unknown>;
      const b = (before ?? {}) as Record<string, unknown>;
      if ((after == null) !== (before == null)) note('job', 'UPGRADE');
      for (const jobKey of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (isDeepStrictEqual(normal(a[jobKey]), normal(b[jobKey]))) continue;
        if (IGNORED_JOB_FIELDS.has(jobKey)) note(`job.${jobKey}`, 'IGNORE');
        else if (jobKey === 'savepointRedeployNonce') {
          note(`job.${jobKey}`, a[jobKey] == null ? 'IGNORE' : 'SAVEPOINT_REDEPLOY');
        } else if (jobKey === 'parallelism' && standalone) note(`job.${jobKey}`, 'SCALE');
        else if (jobKey === 'state' && (a.state ?? 'running') === (b.state ?? 'running')) continue;
        else note(`job.${jobKey}`, 'UPGRADE');
      }
    } else if (key === 'restartNonce') {
      if (!isDeepStrictEqual(normal(after), normal(before))) note(key, after == null ? 'IGNORE' : 'UPGRADE');
    } else if (key === 'taskManager' && standalone) {
      const a = { ...((after ?? {}) as Record<string, unknown>) };
      const b = { ...((before ?? {}) as Record<string, unknown>) };
      if (a.replicas !== b.replicas) note('taskManager.replicas', 'SCALE');
      delete a.replicas;
      delete b.replicas;
      if (!isDeepStrictEqual(a, b)) note('taskManager', 'UPGRADE');
    } else if (!isDeepStrictEqual(normal(after), normal(before))) {
      note(key, 'UPGRADE');
    }
  }
  return { type, fields };
}

/** null and absent are the same to the operator */
function normal(value: unknown): unknown {
  return value === null ? undefined : value;
}
