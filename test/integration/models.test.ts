/**
 * The real models: onnxruntime-node reproduces the reference outputs torch / xgboost computed,
 * the `models` query describes what is loaded, and the committed schema matches the code.
 */

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaFile } from '../../scripts/print-schema.ts';
import type { PredictQLApp, Services } from '../../src/app.ts';
import { ModelsDocument, PredictManyDocument, PredictOneDocument } from '../generated/graphql.ts';
import { loadRealApp } from '../support/app.ts';
import { gql } from '../support/graphql.ts';
import { close, directPredict, GBDT, MLP, MODEL_NAMES, readReference } from '../support/models.ts';
import { nodeBinary, repoRoot } from '../support/node.ts';
import type { Probes } from '../support/probe.ts';

const execFileAsync = promisify(execFile);

let services: Services;
let yoga: PredictQLApp;
let probes: Probes;

// Real models, loaded once per file; the scheduler may run them on worker threads, stopped with the file.
beforeAll(async () => ({ services, yoga, probes } = await loadRealApp()));
afterAll(() => services.inference.close());

function expectMatchesReference(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[]): void {
  expect(actual).toHaveLength(expected.length);
  const mismatches: string[] = [];
  for (const [r, row] of actual.entries()) {
    for (const [c, value] of row.entries()) {
      const want = expected[r]![c]!;
      if (!close(value, want)) mismatches.push(`row ${r} col ${c}: got ${value}, reference ${want}`);
    }
  }
  expect(mismatches).toEqual([]);
}

describe.each(MODEL_NAMES)('reference vectors of %s', (name) => {
  it('the 64 reference rows in one run of the inference service match reference.json (rel 1e-4 / abs 1e-3)', async () => {
    const reference = readReference(name);
    expect(reference.inputs).toHaveLength(64);
    const rows = reference.inputs.map((input) => Float32Array.from(input));
    const { result, runs } = await probes.counted(() => directPredict(services.inference, name, rows));
    expect(runs[name]).toEqual({ runs: 1, items: 64, failedRuns: 0 });
    expectMatchesReference(result, reference.outputs);
  });

  it('gives each reference row the same answer alone (batch size 1) as in the batch', async () => {
    const reference = readReference(name);
    const alone = [];
    for (const input of reference.inputs.slice(0, 8)) {
      const [output] = await directPredict(services.inference, name, [Float32Array.from(input)]);
      alone.push(output!);
    }
    expectMatchesReference(alone, reference.outputs.slice(0, 8));
  });

  it('answers the reference rows through GraphQL (predictLatencies) with the reference outputs, p95 >= p50', async () => {
    const reference = readReference(name);
    const features = services.registry.get(name)!.manifest.features;
    const inputs = reference.inputs.map((input) => Object.fromEntries(features.map((f, i) => [f.name, input[i]!])));
    const { result, runs } = await probes.counted(() => gql(yoga, PredictManyDocument, { inputs: inputs as never, model: name }));
    expect(result.errors).toBeUndefined();
    const list = result.data!.predictLatencies.map((p) => [p!.p50Ms, p!.p95Ms]);
    expectMatchesReference(list, reference.outputs);
    expect(list.every(([p50, p95]) => p95! >= p50! && p50! > 0)).toBe(true);
    // The all-minimum and all-maximum rows are reference rows 0 and 1; all 64 rows are distinct.
    expect(runs[name]).toEqual({ runs: 1, items: 64, failedRuns: 0 });
  });
});

describe('models query', () => {
  it('lists both models with their inputs, outputs, cpu and warmedUp', async () => {
    const result = await gql(yoga, ModelsDocument);
    expect(result.errors).toBeUndefined();
    const models = result.data!.models;
    expect(models.map((m) => m.name).sort()).toEqual([MLP, GBDT].sort());
    for (const model of models) {
      const manifest = services.registry.get(model.name)!.manifest;
      expect(model).toMatchObject({ version: manifest.version, kind: manifest.kind, executionProvider: 'cpu', warmedUp: true });
      expect(model.inputs).toEqual(manifest.features.map(({ name, min, max, unit }) => ({ name, min, max, unit })));
      expect(model.outputs).toEqual([
        { name: 'p50Ms', unit: 'ms' },
        { name: 'p95Ms', unit: 'ms' },
      ]);
    }
    expect(models.find((m) => m.name === MLP)!.kind).toBe('mlp');
    expect(models.find((m) => m.name === GBDT)!.kind).toBe('gbdt');
    expect(models.find((m) => m.name === MLP)!.inputs.map((i) => i.name)).toEqual([
      'payloadKb',
      'concurrency',
      'cpuUtilization',
      'memoryUtilization',
      'cacheHitRatio',
      'dbQueries',
      'downstreamCalls',
      'hourOfDay',
    ]);
  });

  it('names the model behind a prediction', async () => {
    const reference = readReference(GBDT);
    const features = services.registry.get(GBDT)!.manifest.features;
    const input = Object.fromEntries(features.map((f, i) => [f.name, reference.inputs[5]![i]!]));
    const result = await gql(yoga, PredictOneDocument, { input: input as never, model: GBDT });
    expect(result.errors).toBeUndefined();
    expect(result.data!.predictLatency!.model).toEqual({ name: GBDT, version: services.registry.get(GBDT)!.manifest.version });
  });
});

describe('schema', () => {
  it('the committed schema/schema.graphql equals printCurrentSchema() of the code', async () => {
    // printCurrentSchema runs in a plain Node child: inside vitest, src/ resolves `graphql` to its
    // ESM build (index.mjs) while Pothos loads the CJS build (index.js), and printSchema then
    // throws "Cannot use GraphQLInputObjectType ... from another module or realm".
    const printed = await printInChild();
    expect(printed).toBe(await readFile(schemaFile, 'utf8'));
  });
});

async function printInChild(): Promise<string> {
  const module = new URL('../../scripts/print-schema.ts', import.meta.url).href;
  const script = `const { printCurrentSchema } = await import(${JSON.stringify(module)}); process.stdout.write(await printCurrentSchema());`;
  const { stdout } = await execFileAsync(nodeBinary, ['--input-type=module', '-e', script], { cwd: repoRoot });
  return stdout;
}
