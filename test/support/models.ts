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

/** Each input predicted alone, in a fresh request of its own (the solo answers merged runs must equal). */
export async function soloPredictions(
  yoga: { fetch: (url: string, init: RequestInit) => Response | Promise<Response> },
  inputs: readonly LatencyFeaturesInput[],
  model?: string,
): Promise<{ p50Ms: number; p95Ms: number }[]> {
  const query =
    'query Solo($input: LatencyFeaturesInput!, $model: String) { predictLatency(input: $input, model: $model) { p50Ms p95Ms } }';
  const answers = [];
  for (const input of inputs) {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { input, model } }),
    });
    const body = (await response.json()) as { data?: { predictLatency: { p50Ms: number; p95Ms: number } | null }; errors?: unknown };
    if (body.errors || !body.data?.predictLatency) throw new Error(`solo prediction failed: ${JSON.stringify(body)}`);
    answers.push(body.data.predictLatency);
  }
  return answers;
}

/**
 * Equal up to what differs between batch make-ups: onnxruntime sums in another order for another
 * batch, which moves float32 results by a few ulps (measured ≤ 1.5e-6 relative); 1e-5 allows that, nothing more.
 */
export function sameUpToBatching(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-5 * Math.max(Math.abs(expected), 1e-6);
}
