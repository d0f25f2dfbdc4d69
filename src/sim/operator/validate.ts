// The operator's DefaultValidator, for the rules that shape lifecycles (section 7): the one copy in
// src/manifests/operator-validation.ts, which the planner reads too. Returns the first problem in the
// operator's own words, or null.
import { operatorRejection } from '../../manifests/operator-validation.ts';
import type { FlinkDeploymentSpec } from '../../manifests/types.ts';
import type { ReconciledSpec } from './spec.ts';

export function validateDeployment(
  spec: FlinkDeploymentSpec,
  last: ReconciledSpec | undefined,
): string | null {
  return operatorRejection(spec, last?.spec);
}
