/**
 * Refuses an operation that would compute more than `maxPredictions` predictions (fields ×
 * list sizes, see `countPredictions`) before it executes: one request of a million-row list or
 * 100 000 aliases must not pin the CPU and the models while everyone else waits. Counted in
 * `onExecute`, where the variables are known (a validation rule would not see them).
 */
import type { Plugin } from 'graphql-yoga';
import { requestRefused } from '../errors.ts';
import { countPredictions } from '../graphql/prediction-cost.ts';

export interface PredictionCostOptions {
  maxPredictions: number;
}

export function usePredictionCost({ maxPredictions }: PredictionCostOptions): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const count = countPredictions({
        schema: args.schema,
        document: args.document,
        operationName: args.operationName,
        variables: args.variableValues as Record<string, unknown> | null | undefined,
      });
      if (count <= maxPredictions) return;
      setResultAndStopExecution({
        errors: [
          requestRefused(
            'PREDICTION_LIMIT_EXCEEDED',
            `This operation would compute ${count} predictions; the limit is ${maxPredictions} per operation. ` +
              `Split it into smaller operations (fewer aliases, shorter lists or pages).`,
            { predictions: count, limit: maxPredictions },
          ),
        ],
      });
    },
  };
}
