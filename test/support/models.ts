/**
 * Inputs, reference vectors and run counters for integration tests over the real models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelsDir } from '../../src/config.ts';
import type { FeatureSpec, InferenceService } from '../../src/inference/index.ts';
import type { LatencyFeaturesInput } from '../generated/graphql.ts';

export const MLP = 'request-latency';
export const GBDT = 'request-latency-gbdt';
export const MODEL_NAMES = [MLP, GBDT] as const;

export interface SampleEntry {
  id: string;
  features: LatencyFeaturesInput;
}

export interface Reference {
  source: string;
  inputs: number[][];
  outputs: number[][];
}

let samples: SampleEntry[] | undefined;

/** models/sample-requests.json (3000 rows, all distinct as float32 rows). */
export function sampleEntries(): SampleEntry[] {
  samples ??= JSON.parse(readFileSync(join(defaultModelsDir, 'sample-requests.json'), 'utf8')) as SampleEntry[];
  return samples;
}

/** The first `n` sample requests as GraphQL inputs, starting at `offset`. */
export function sampleInputs(n: number, offset = 0): LatencyFeaturesInput[] {
  const all = sampleEntries();
  if (offset + n > all.length) throw new RangeError(`only ${all.length} samples`);
  return all.slice(offset, offset + n).map((s) => ({ ...s.features }));
}

export function readReference(model: string): Reference {
  return JSON.parse(readFileSync(join(defaultModelsDir, model, 'reference.json'), 'utf8')) as Reference;
}

/** An input as the tensor row the server builds (manifest order, float32). */
export function toRow(features: readonly FeatureSpec[], input: Readonly<Record<string, number>>): Float32Array {
  return Float32Array.from(
    features.map((f) => {
      const value = input[f.name];
      if (value === undefined) throw new Error(`input lacks ${f.name}`);
      return value;
    }),
  );
}

/** Runs `rows` through `model` as one job of its own request and returns the outputs per row as plain numbers. */
export async function directPredict(inference: InferenceService, model: string, rows: readonly Float32Array[]): Promise<number[][]> {
  const { outputs } = await inference.predict(model, rows, { requestId: Symbol('directPredict') });
  return outputs.map((o) => {
    if (o instanceof Error) throw o;
    return Array.from(o);
  });
}

export interface ModelCounters {
  runs: number;
  items: number;
  failedRuns: number;
}

export type CounterSnapshot = Record<string, ModelCounters>;

export function snapshot(inference: InferenceService): CounterSnapshot {
  return Object.fromEntries(
    inference.registry.names.map((name) => {
      const { runs, items, failedRuns } = inference.counters(name);
      return [name, { runs, items, failedRuns }];
    }),
  );
}

/** Counters gained since `before`, per model. */
export function delta(inference: InferenceService, before: CounterSnapshot): CounterSnapshot {
  const now = snapshot(inference);
  return Object.fromEntries(
    Object.entries(now).map(([name, n]) => {
      const then = before[name] ?? { runs: 0, items: 0, failedRuns: 0 };
      return [name, { runs: n.runs - then.runs, items: n.items - then.items, failedRuns: n.failedRuns - then.failedRuns }];
    }),
  );
}

/** Runs `action` and returns its result with the counters it added. */
export async function counted<T>(inference: InferenceService, action: () => Promise<T>): Promise<{ result: T; runs: CounterSnapshot }> {
  const before = snapshot(inference);
  const result = await action();
  return { result, runs: delta(inference, before) };
}

/** A GraphQL input literal: `{ payloadKb: 1.5, ... }` (numbers only). */
export function inputLiteral(input: Readonly<Record<string, number>>): string {
  return `{ ${Object.entries(input)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ')} }`;
}

/** `query (...) { a0: predictLatency(input: $i0) { p50Ms p95Ms } ... }` with one variable per field. */
export function aliasedQuery(count: number, options: { model?: (i: number) => string | undefined } = {}): string {
  const vars: string[] = [];
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    vars.push(`$i${i}: LatencyFeaturesInput!`);
    const model = options.model?.(i);
    const modelArg = model === undefined ? '' : `, model: ${JSON.stringify(model)}`;
    fields.push(`a${i}: predictLatency(input: $i${i}${modelArg}) { p50Ms p95Ms }`);
  }
  return `query Aliased(${vars.join(', ')}) {\n${fields.join('\n')}\n}`;
}

export function aliasedVariables(inputs: readonly LatencyFeaturesInput[]): Record<string, LatencyFeaturesInput> {
  return Object.fromEntries(inputs.map((input, i) => [`i${i}`, input]));
}

/** Relative 1e-4 or absolute 1e-3, whichever is larger. */
export function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= Math.max(1e-4 * Math.abs(expected), 1e-3);
}
