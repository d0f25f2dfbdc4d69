// The live object as the planner's `before` in live mode: what the manifest author controls (spec,
// name, the labels/annotations the manifest itself sets) plus the status the planner reads to know
// whether the job really runs. Server-side bookkeeping (uid, resourceVersion, finalizers...) and
// metadata flinkops does not manage never show up as a change.
import type { FlinkDeployment } from '../manifests/types.ts';

export function liveView(live: FlinkDeployment, desired: FlinkDeployment | null): FlinkDeployment {
  const pick = (have: Record<string, string> | undefined, want: Record<string, string> | undefined) => {
    if (!have || !want) return undefined;
    const out: Record<string, string> = {};
    for (const key of Object.keys(want)) if (key in have) out[key] = have[key];
    return Object.keys(out).length ? out : undefined;
  };
  const spec = structuredClone(live.spec);
  // initialSavepointPath only matters on a first deploy (flinkops may have set it from the ledger):
  // absent from the desired manifest it is no change worth a step
  if (spec.job && desired && desired.spec.job?.initialSavepointPath == null)
    delete spec.job.initialSavepointPath;
  const metadata: FlinkDeployment['metadata'] = {
    name: live.metadata.name,
    namespace: live.metadata.namespace,
  };
  const labels = desired ? pick(live.metadata.labels, desired.metadata.labels) : live.metadata.labels;
  const annotations = desired
    ? pick(live.metadata.annotations, desired.metadata.annotations)
    : live.metadata.annotations;
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  return { apiVersion: live.apiVersion, kind: live.kind, metadata, spec, status: live.status };
}
