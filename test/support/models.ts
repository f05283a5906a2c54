/**
 * Inputs, reference vectors and run counters for integration tests over the real models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelsDir } from '../../src/config.ts';
import type { EncodedRow, InferenceService, ModelRunner } from '../../src/inference/index.ts';
import type { LatencyFeaturesInput } from '../generated/graphql.ts';

export const MLP = 'request-latency';
export const GBDT = 'request-latency-gbdt';
export const MODEL_NAMES = [MLP, GBDT] as const;
export const CHURN = 'customer-churn';
export const CHURN_GBDT = 'customer-churn-gbdt';
export const ANOMALY = 'traffic-anomaly';
export const REVIEW_EMBEDDING = 'review-embedding';
export const REVIEW_SENTIMENT = 'review-sentiment';
/** The shipped models of tabular features, whose reference.json holds features (the text models' hold texts: text.test.ts). */
export const TABULAR_MODELS = [CHURN, CHURN_GBDT, MLP, GBDT, ANOMALY] as const;
/** Every shipped model, in the order the registry loads them (by folder name). */
export const ALL_MODELS = [CHURN, CHURN_GBDT, MLP, GBDT, REVIEW_EMBEDDING, REVIEW_SENTIMENT, ANOMALY] as const;

export interface SampleEntry {
  id: string;
  features: LatencyFeaturesInput;
}

/** A case of a model's reference.json: inputs as the API takes them, outputs as torch / xgboost computed them. */
export interface ReferenceCase {
  features: Record<string, unknown>;
  outputs: Record<string, number | string | number[]>;
}

export interface Reference {
  source: string;
  cases: ReferenceCase[];
}

const exampleFiles = new Map<string, { id: string; features: Record<string, unknown> }[]>();

/** The examples of `file` (e.g. churn.examples.json) as they are in the file. */
export function examplesOf(file: string): { id: string; features: Record<string, unknown> }[] {
  let examples = exampleFiles.get(file);
  if (!examples) {
    examples = (
      JSON.parse(readFileSync(join(defaultModelsDir, file), 'utf8')) as { examples: { id: string; features: Record<string, unknown> }[] }
    ).examples;
    exampleFiles.set(file, examples);
  }
  return examples;
}

/** models/latency.examples.json (3000 rows, all distinct as float32 rows): `sampleRequests`. */
export function sampleEntries(): SampleEntry[] {
  return examplesOf('latency.examples.json') as unknown as SampleEntry[];
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

/** An input as the row the server builds for `model` (its codec); throws on an invalid input. */
export function toRow(model: ModelRunner, input: Readonly<Record<string, unknown>>): EncodedRow {
  const encoded = model.codec.encode(input);
  if (!encoded.ok) throw new Error(`invalid input: ${JSON.stringify(encoded.problems)}`);
  return encoded.row;
}

/**
 * Runs `rows` through `model` as one job of its own request; per row, the values of its `value`
 * outputs in manifest order (for the latency models: [p50Ms, p95Ms]).
 */
export async function directPredict(inference: InferenceService, model: string, rows: readonly EncodedRow[]): Promise<number[][]> {
  const runner = inference.registry.get(model)!;
  const readers = runner.manifest.outputs.filter((o) => o.kind === 'value').map((o) => runner.codec.reader(o.name)!);
  const result = await inference.predict(runner, runner.codec.pack(rows), { requestId: Symbol('directPredict') });
  const failed = result.runs.find((run) => run.failed);
  if (failed) throw new Error(`directPredict: a run failed: ${failed.failure}`);
  return runner.codec
    .answers(result.outputs, rows.length)
    .views(0, rows.length)
    .map((o) => readers.map((r) => (r.kind === 'value' ? r.read(o) : Number.NaN)));
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
