/**
 * Wraps a prediction field's resolver so that, when the response carries the inference report,
 * its duration (including the wait for its batch) lands in it. Other requests pay one check.
 */
import type { GraphQLFieldResolver } from 'graphql';
import type { PredictQLContext } from './context.ts';

export function timePredictionResolver(
  resolver: GraphQLFieldResolver<unknown, PredictQLContext, Record<string, unknown>>,
  coordinate: string,
): GraphQLFieldResolver<unknown, PredictQLContext, Record<string, unknown>> {
  return (source, args, context, info) => {
    const report = context.inferenceReport;
    if (!report) return resolver(source, args, context, info);
    const startMs = performance.now();
    const done = (failed: boolean) => report.recordResolver(coordinate, performance.now() - startMs, failed);
    let result: unknown;
    try {
      result = resolver(source, args, context, info);
    } catch (error) {
      done(true);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          done(value instanceof Error);
          return value;
        },
        (error: unknown) => {
          done(true);
          throw error;
        },
      );
    }
    if (Array.isArray(result) && result.some((item) => item instanceof Promise)) {
      // A list of predictions (predictLatencies) is done when its last item settles; any failed item counts.
      void Promise.allSettled(result).then((items) => done(items.some((i) => i.status === 'rejected' || i.value instanceof Error)));
      return result;
    }
    done(result instanceof Error);
    return result;
  };
}
