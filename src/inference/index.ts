/**
 * The inference layer's public contract: what the GraphQL, loader, report, metrics and telemetry
 * layers may use. Everything else under src/inference/ (the scheduler's queue and jobs, the
 * executors and the worker, sessions and tensors) is internal and may change without notice;
 * the linter refuses imports of it from outside (biome.json, noRestrictedImports).
 *
 * The layer knows nothing of GraphQL or HTTP: it loads models, checks inputs against their
 * manifests, and runs batches of rows, merging the jobs of concurrent requests.
 */

export { assertSomeProviderInstalled, providerFallbackWarning } from './execution/execution-providers.ts';
export type { ModelRunner } from './execution/model-session.ts';
export {
  defaultSessionSettings,
  type ExecutionProviderName,
  type GraphOptimizationLevel,
  type SessionSettings,
} from './execution/session-options.ts';
export { type FeatureProblem, type FeatureRowResult, rowKey, toFeatureRow } from './feature-rows.ts';
export {
  defaultInferenceOptions,
  type ExecutorChoice,
  type ExecutorDecision,
  InferenceService,
  type InferenceServiceOptions,
} from './inference-service.ts';
export { type FeatureSpec, ManifestError, type ModelManifest, type OutputSpec, parseManifest, readManifest } from './manifest.ts';
export { ModelRegistry, type RegistryLoadOptions } from './registry.ts';
export type { BatcherCounters, RunObservation } from './scheduler/dynamic-batcher.ts';
export type { JobMeta, JobResult, RunRecord } from './scheduler/job.ts';
export { OverloadedError, RunFailedError } from './scheduler/scheduler-errors.ts';
export { defaultSchedulerOptions, type SchedulerOptions } from './scheduler/scheduler-options.ts';
