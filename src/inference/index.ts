/**
 * The inference layer's public contract: what the GraphQL, loader, report, metrics and telemetry
 * layers may use. Everything else under src/inference/ (the scheduler's queue and jobs, the
 * executors and the worker, sessions and tensors) is internal and may change without notice;
 * the linter refuses imports of it from outside (biome.json, noRestrictedImports).
 *
 * The layer knows nothing of GraphQL or HTTP: it loads models, checks them and their inputs
 * against their manifests, encodes rows, and runs batches of them, merging the jobs of
 * concurrent requests.
 */

export { assertSomeProviderInstalled, providerFallbackWarning } from './execution/execution-providers.ts';
export { type ModelRunner, nextLoadId } from './execution/model-session.ts';
export { transferables } from './execution/run-batch.ts';
export {
  defaultSessionSettings,
  type ExecutionProviderName,
  type GraphOptimizationLevel,
  type SessionSettings,
} from './execution/session-options.ts';
export {
  defaultInferenceOptions,
  type ExecutorChoice,
  type ExecutorDecision,
  InferenceService,
  type InferenceServiceOptions,
  type ModelRef,
} from './inference-service.ts';
export { type FieldReader, featureKinds, type OutputSlot, outputKinds } from './kinds/index.ts';
export {
  type Dtype,
  type FeatureSpec,
  type FeatureType,
  type GraphQLNames,
  ManifestError,
  type ModelManifest,
  type OutputKindName,
  type OutputSpec,
  parseManifest,
  readManifest,
  type TensorSpec,
} from './manifest.ts';
export { type ModelLayout, type OnnxValueInfo, resolveLayout, tensorSpecs } from './model-layout.ts';
export { type ModelVersions, readModelVersions, VERSIONS_FILE, type VersionFolder, type VersionPolicy } from './model-versions.ts';
export { type ModelView, type ModelViewData, modelViewData, modelViewOf } from './model-view.ts';
export { OnnxFileError, type OnnxGraph, readOnnxGraph, rewriteForServing } from './onnx-file/index.ts';
export { loadModelVersion, ModelRegistry, type RegistryLoadOptions, runnersOf } from './registry.ts';
export { type EncodeResult, type FeatureProblem, RowCodec, rowKey } from './row-codec.ts';
export type { BatcherCounters, RunObservation } from './scheduler/dynamic-batcher.ts';
export type { JobMeta, JobResult, RunRecord } from './scheduler/job.ts';
export { OverloadedError } from './scheduler/scheduler-errors.ts';
export { defaultSchedulerOptions, type SchedulerOptions } from './scheduler/scheduler-options.ts';
export type { EncodedRow, LayoutTensor, NumericArray, OutputRow, PackedBatch, PackedOutputs, TensorData } from './tensors.ts';
export { TextTokenizer, type TokenizerFiles } from './text/text-tokenizer.ts';
export { readTokenizerFiles, TOKENIZER_FILES } from './text/tokenizer-files.ts';
