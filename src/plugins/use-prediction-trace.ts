/**
 * Adds `extensions.inference` (batches, sizes, queue and compute time, fields served, resolver
 * timings) to responses of traced requests: those sending `x-predictql-trace: 1`, or all of
 * them when the server traces always.
 */
import type { Plugin } from 'graphql-yoga';
import { InferenceTrace } from '../tracing/inference-trace.ts';
import type { PredictQLContext } from '../graphql/context.ts';

export type TraceMode = 'header' | 'always' | 'off';
export const TRACE_HEADER = 'x-predictql-trace';

export interface PredictionTraceOptions {
  mode?: TraceMode;
  maxPathsPerBatch?: number;
}

export function usePredictionTrace({ mode = 'header', maxPathsPerBatch }: PredictionTraceOptions = {}): Plugin<PredictQLContext> {
  const wantsTrace = (request: Request): boolean => {
    if (mode === 'off') return false;
    if (mode === 'always') return true;
    const value = request.headers.get(TRACE_HEADER);
    return value === '1' || value === 'true';
  };
  return {
    onContextBuilding({ context, extendContext }) {
      if (wantsTrace(context.request)) extendContext({ inferenceTrace: new InferenceTrace({ maxPathsPerBatch }) });
    },
    onExecute({ args }) {
      const trace = (args.contextValue as PredictQLContext).inferenceTrace;
      if (!trace) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, inference: trace.report() } });
        },
      };
    },
  };
}
