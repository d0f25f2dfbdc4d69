// Canary resources (label flink.apache.org/canary: "true", operator example examples/canary.yaml): the
// operator's CanaryResourceManager takes them out of normal reconciliation before anything is observed,
// validated or deployed; they only feed its health probe. What is left is what the Java Operator SDK does
// around every controller: add the finalizer before the first reconcile, and on deletion remove it again
// (the controller's cleanup answers DeleteControl.defaultDelete() for a canary: no Cleanup event, no
// DELETING status). Not simulated: the health probe bumping the canary's spec.restartNonce every
// kubernetes.operator.health.canary.resource.timeout, as the simulator has no health endpoint for it to feed.
import type { ObjectMeta } from '../../manifests/types.ts';
import type { KubeObject, ObjectStore } from '../store.ts';
import { FINALIZER } from './context.ts';
import { writeMetadata } from './status.ts';

export const CANARY_LABEL = 'flink.apache.org/canary';

/** the operator's CanaryResourceManager#isCanaryResource: the label's value is "true", in any case */
export function isCanary(metadata: ObjectMeta): boolean {
  return (metadata.labels?.[CANARY_LABEL] ?? 'false').toLowerCase() === 'true';
}

/** one pass over a canary: finalizer in, or out once it is being deleted; never status, events or jobs */
export function passCanary(store: ObjectStore, object: KubeObject): void {
  const finalizers = object.metadata.finalizers ?? [];
  if (object.metadata.deletionTimestamp) {
    if (!finalizers.includes(FINALIZER)) return;
    writeMetadata(store, object, (metadata) => {
      metadata.finalizers = (metadata.finalizers ?? []).filter((finalizer) => finalizer !== FINALIZER);
    });
    return;
  }
  if (finalizers.includes(FINALIZER)) return;
  writeMetadata(store, object, (metadata) => {
    metadata.finalizers = [...(metadata.finalizers ?? []), FINALIZER];
  });
}
