/**
 * Inputs, reference vectors and run counters for integration tests over the real models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelsDir } from '../../src/config.ts';
import type { ModelRegistry, ModelCounters } from '../../src/inference/registry.ts';
import type { FeatureSpec } from '../../src/inference/manifest.ts';
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
  return Float32Array.from(features.map((f) => {
    const value = input[f.name];
    if (value === undefined) throw new Error(`input lacks ${f.name}`);
    return value;
  }));
}

/** Runs `rows` through `model` directly (one run) and returns [p50, p95] per row as plain numbers. */
export async function directPredict(registry: ModelRegistry, model: string, rows: readonly Float32Array[]): Promise<number[][]> {
  const { outputs } = await registry.predict(model, rows);
  return outputs.map((o) => Array.from(o));
}

export type CounterSnapshot = Record<string, ModelCounters>;

export function snapshot(registry: ModelRegistry): CounterSnapshot {
  return Object.fromEntries(registry.names.map((name) => [name, registry.counters(name)]));
}

/** Counters gained since `before`, per model. */
export function delta(registry: ModelRegistry, before: CounterSnapshot): CounterSnapshot {
  return Object.fromEntries(
    registry.names.map((name) => {
      const now = registry.counters(name);
      const then = before[name] ?? { runs: 0, items: 0, failedRuns: 0 };
      return [name, { runs: now.runs - then.runs, items: now.items - then.items, failedRuns: now.failedRuns - then.failedRuns }];
    }),
  );
}

/** Runs `action` and returns its result with the counters it added. */
export async function counted<T>(registry: ModelRegistry, action: () => Promise<T>): Promise<{ result: T; runs: CounterSnapshot }> {
  const before = snapshot(registry);
  const result = await action();
  return { result, runs: delta(registry, before) };
}

/** A GraphQL input literal: `{ payloadKb: 1.5, ... }` (numbers only). */
export function inputLiteral(input: Readonly<Record<string, number>>): string {
  return `{ ${Object.entries(input).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`;
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
