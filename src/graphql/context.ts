/** What every resolver gets: the request's loaders and trace, and the server's models and samples. */
import type { ModelRegistry } from '../inference/registry.ts';
import type { PredictionLoaders } from '../loaders/prediction-loaders.ts';
import type { SampleCatalog } from '../samples/sample-catalog.ts';
import type { InferenceTrace } from '../tracing/inference-trace.ts';
import type { OperationSpanRef } from '../tracing/batch-spans.ts';
import type { ServerLifecycle } from '../lifecycle.ts';

export interface PredictQLContext {
  registry: ModelRegistry;
  catalog: SampleCatalog;
  defaultModel: string;
  /** Created per request by `usePredictionLoaders`; never shared between requests. */
  predictions: PredictionLoaders;
  /** Present only when the request is traced (`usePredictionTrace`). */
  inferenceTrace?: InferenceTrace | undefined;
  /** The request's OpenTelemetry operation span (`useOpenTelemetrySpans`), handed to its jobs. */
  operationSpan?: OperationSpanRef | undefined;
  /** Whether the server is draining (`Model.ready`); absent in apps built without one. */
  lifecycle?: ServerLifecycle | undefined;
}
