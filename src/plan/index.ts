// Public face of the pure planner. (planGitRange, which reads git, lives in ./plan-git-range.ts.)

export { flattenFlinkConfiguration } from '../manifests/flink-config.ts';
export {
  type ChangeClass,
  classifySpecChanges,
  type FieldChange,
  type SpecChanges,
} from './change-classes.ts';
export { type JobFacts, jobFacts, liveJob } from './job-state.ts';
export { manifestDiff } from './manifest-diff.ts';
export { compareKeys, type PlanRevisionInput, planRevision, type RevisionSide } from './plan-revision.ts';
export { planTransition, RESTORE_ANNOTATION } from './plan-transition.ts';
export { renderMarkdown } from './render-markdown.ts';
export * from './types.ts';
export { WARNING_CODES, type WarningCode } from './warnings.ts';
