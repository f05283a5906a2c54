/** What every resolver gets: the request's loaders and report, and the server's models. */
import type { ModelRegistry, ModelView } from '../inference/index.ts';
import type { InferenceRecorder } from '../inference-report/inference-report.ts';
import type { ServerLifecycle } from '../lifecycle.ts';
import type { PredictionLoaders } from '../loaders/prediction-loaders.ts';
import type { OperationSpanRef } from '../opentelemetry/batch-spans.ts';

export interface PredictQLContext {
  /** The models as GraphQL needs them (views: in a GraphQL thread they have no session). */
  registry: ModelRegistry<ModelView>;
  /** Created per request by `usePredictionLoaders`; never shared between requests. */
  predictions: PredictionLoaders;
  /** Present only when the response carries the inference report (`useInferenceReport`). */
  inferenceReport?: InferenceRecorder | undefined;
  /** The request's OpenTelemetry operation span (`useOpenTelemetrySpans`), handed to its jobs. */
  operationSpan?: OperationSpanRef | undefined;
  /** Whether the server is draining (`Model.ready`); absent in apps built without one. */
  lifecycle?: ServerLifecycle | undefined;
}
