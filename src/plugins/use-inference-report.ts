/**
 * Adds the inference report (`extensions.inference`: batches, sizes, queue and compute time,
 * fields served, resolver timings) to responses of requests that ask for it with
 * `x-predictql-trace: 1`, or to all of them when the server reports always.
 */
import type { Plugin } from 'graphql-yoga';
import type { PredictQLContext } from '../graphql/context.ts';
import {
  defaultInferenceReportMode,
  INFERENCE_REPORT_HEADER,
  InferenceRecorder,
  type InferenceReportMode,
} from '../inference-report/inference-report.ts';

export interface InferenceReportOptions {
  mode?: InferenceReportMode;
  maxPathsPerBatch?: number;
}

export function useInferenceReport({
  mode = defaultInferenceReportMode,
  maxPathsPerBatch,
}: InferenceReportOptions = {}): Plugin<PredictQLContext> {
  const wantsReport = (request: Request): boolean => {
    if (mode === 'off') return false;
    if (mode === 'always') return true;
    const value = request.headers.get(INFERENCE_REPORT_HEADER);
    return value === '1' || value === 'true';
  };
  // The report's timeline starts when the request arrives, before its body is read and parsed.
  const arrivedAtMs = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      if (mode !== 'off') arrivedAtMs.set(request, performance.now());
    },
    onContextBuilding({ context, extendContext }) {
      if (!wantsReport(context.request)) return;
      const requestStartedAtMs = arrivedAtMs.get(context.request);
      extendContext({ inferenceReport: new InferenceRecorder({ maxPathsPerBatch, requestStartedAtMs }) });
    },
    onExecute({ args }) {
      const recorder = (args.contextValue as PredictQLContext).inferenceReport;
      if (!recorder) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, inference: recorder.report() } });
        },
      };
    },
  };
}
