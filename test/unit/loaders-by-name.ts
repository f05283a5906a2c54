/**
 * PredictionLoaders addressed by model name, as the unit tests of the loaders write them: the
 * loaders take a model's view (one loader per version); these helpers look the name up in the
 * models the loaders were made with (the default version of each).
 */
import { type EncodedRow, type ModelView, type OutputRow, rowKey } from '../../src/inference/index.ts';
import type { PredictionSite } from '../../src/inference-report/inference-report.ts';
import { PredictionLoaders, type PredictionLoadersOptions } from '../../src/loaders/prediction-loaders.ts';

interface Models {
  get(name: string): ModelView | undefined;
}

const modelsOf = new WeakMap<PredictionLoaders, Models>();

/** Loaders over `models`, found by name by the helpers below. */
export function loadersWith({ models, ...options }: PredictionLoadersOptions & { models: Models }): PredictionLoaders {
  const loaders = new PredictionLoaders(options);
  modelsOf.set(loaders, models);
  return loaders;
}

export function viewOf(loaders: PredictionLoaders, name: string): ModelView {
  const view = modelsOf.get(loaders)?.get(name);
  if (!view) throw new Error(`No model named "${name}".`);
  return view;
}

export const load = (loaders: PredictionLoaders, model: string, r: EncodedRow, path = 'p'): Promise<OutputRow> =>
  loaders.load(viewOf(loaders, model), r, rowKey(r), { coordinate: 'Query.predict', path } satisfies PredictionSite);

export const prime = (loaders: PredictionLoaders, model: string, rows: readonly EncodedRow[], keys: readonly string[]) =>
  loaders.prime(viewOf(loaders, model), rows, keys);

export const peek = (loaders: PredictionLoaders, model: string, key: string) => loaders.peek(viewOf(loaders, model), key);
