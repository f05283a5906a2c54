/**
 * Gives every request its own prediction loaders (one DataLoader per model, created lazily), so
 * batching and deduplication never leak between requests.
 */
import type { Plugin } from 'graphql-yoga';
import type { PredictQLContext } from '../graphql/context.ts';
import type { ModelRegistry, ModelView } from '../inference/index.ts';
import { PredictionLoaders, type Predictor } from '../loaders/prediction-loaders.ts';

export interface PredictionLoadersPluginOptions {
  registry: ModelRegistry<ModelView>;
  predictor: Predictor;
  /** false: one run per field (benchmark baseline only). */
  batch?: boolean;
  logError?: (message: string, error: unknown) => void;
  /** Most tokens one request's texts may take. */
  maxTextTokens?: number;
}

export function usePredictionLoaders(options: PredictionLoadersPluginOptions): Plugin<PredictQLContext> {
  const { registry, predictor, batch, logError, maxTextTokens } = options;
  return {
    onContextBuilding({ context, extendContext }) {
      // Runs after useInferenceReport's and useOpenTelemetrySpans' hooks (plugin order), so the
      // report and the operation span reference are already in context.
      const { inferenceReport: report, operationSpan } = context as Partial<PredictQLContext>;
      extendContext({
        // One set of models for the whole request, whatever a reload publishes meanwhile; held
        // until the operation is done, so a reload retires old versions only after it.
        registry: registry.hold(),
        predictions: new PredictionLoaders({
          predictor,
          batch,
          report,
          logError,
          traceContext: operationSpan,
          ...(maxTextTokens !== undefined ? { maxTextTokens } : {}),
        }),
      });
    },
    onExecute({ args }) {
      return {
        onExecuteDone() {
          (args.contextValue as Partial<PredictQLContext>).registry?.release();
        },
      };
    },
  };
}
