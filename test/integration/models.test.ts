/**
 * The real models of every shipped task: onnxruntime-node, through GraphQL, reproduces the reference
 * outputs torch / xgboost computed (values, class labels and probabilities, vectors), the `models`
 * query describes what is loaded, and the committed schema matches the code.
 */

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { schemaFile } from '../../scripts/print-schema.ts';
import type { Services } from '../../src/app.ts';
import { ModelsDocument, PredictManyDocument, PredictOneDocument } from '../generated/graphql.ts';
import { type Fetcher, gql, send } from '../support/graphql.ts';
import { ALL_MODELS, ANOMALY, CHURN, CHURN_GBDT, GBDT, MLP, readReference, TABULAR_MODELS } from '../support/models.ts';
import { nodeBinary, repoRoot } from '../support/node.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

const execFileAsync = promisify(execFile);

describe.each(servingModes)('$name', (mode) => {
  let services: Services;
  let yoga: Fetcher;
  let probes: Probes;
  // Real models, loaded once per mode; the scheduler may run them on worker threads, stopped with it.
  serveDuringSuite(mode, (app) => ({ services, yoga, probes } = app));

  // Relative 1e-4 or absolute 1e-4, whichever is larger: float32 kernels against torch / xgboost in float64.
  const near = (actual: number, expected: number) => Math.abs(actual - expected) <= Math.max(1e-4 * Math.abs(expected), 1e-4);

  /** The task of a model, and the selection that reads every output of it. */
  function apiOf(name: string) {
    const model = services.registry.get(name)!;
    const task = services.tasks.find((t) => t.name === model.manifest.task)!;
    const selection = task.outputs
      .map((o) => (o.kind === 'class' ? `${o.name} ${task.names.probabilities.get(o.name)!.field} { label probability }` : o.name))
      .join(' ');
    return { model, task, selection };
  }

  /** Mismatches between a GraphQL prediction and a reference case's outputs (empty when they agree). */
  function compare(got: Record<string, unknown>, want: Record<string, unknown>, at: string): string[] {
    const problems: string[] = [];
    for (const [field, expected] of Object.entries(want)) {
      const value = got[field];
      if (typeof expected === 'string') {
        if (value !== expected) problems.push(`${at}.${field}: got ${JSON.stringify(value)}, reference ${expected}`);
      } else if (typeof expected === 'number') {
        if (typeof value !== 'number' || !near(value, expected)) problems.push(`${at}.${field}: got ${value}, reference ${expected}`);
      } else {
        // A vector, or per-class probabilities (GraphQL gives { label probability } in class order).
        const values = (value as (number | { probability: number })[]).map((v) => (typeof v === 'number' ? v : v.probability));
        const list = expected as number[];
        if (values.length !== list.length || values.some((v, i) => !near(v, list[i]!))) {
          problems.push(`${at}.${field}: got [${values.join(', ')}], reference [${list.join(', ')}]`);
        }
      }
    }
    return problems;
  }

  describe.each(TABULAR_MODELS)('reference vectors of %s', (name) => {
    it('answers the 64 reference cases through GraphQL, in one run, with what torch / xgboost computed', async () => {
      const { model, task, selection } = apiOf(name);
      const reference = readReference(name);
      expect(reference.cases).toHaveLength(64);
      const query = `query ($inputs: [${task.names.input}!]!) { ${task.names.predictMany}(inputs: $inputs, model: "${name}") { ${selection} } }`;
      const { result, runs } = await probes.counted(() =>
        send<Record<string, Record<string, unknown>[]>>(yoga, query, { inputs: reference.cases.map((c) => c.features) }),
      );
      expect(result.errors).toBeUndefined();
      const answers = result.data![task.names.predictMany]!;
      expect(answers.flatMap((answer, i) => compare(answer, reference.cases[i]!.outputs, `case ${i}`))).toEqual([]);
      // Identical encoded rows run once: the run holds one row per distinct case.
      const distinct = new Set(reference.cases.map((c) => (model.codec.encode(c.features) as { key: string }).key)).size;
      expect(runs[name]).toEqual({ runs: 1, items: distinct, failedRuns: 0 });
    });

    it('gives a case the same answer alone (batch of 1) as in the batch', async () => {
      const { task, selection } = apiOf(name);
      const reference = readReference(name);
      const query = `query ($input: ${task.names.input}!) { ${task.names.predict}(input: $input, model: "${name}") { ${selection} } }`;
      for (const [i, c] of reference.cases.slice(0, 6).entries()) {
        const result = await send<Record<string, Record<string, unknown>>>(yoga, query, { input: c.features });
        expect(result.errors).toBeUndefined();
        expect(compare(result.data![task.names.predict]!, c.outputs, `case ${i}`)).toEqual([]);
      }
    });
  });

  describe('latency outputs', () => {
    it('keep p95 >= p50 > 0 on every reference case of both models', async () => {
      for (const name of [MLP, GBDT]) {
        const reference = readReference(name);
        const result = await gql(yoga, PredictManyDocument, { inputs: reference.cases.map((c) => c.features) as never, model: name });
        expect(result.data!.predictLatencies.every((p) => p !== null && p.p95Ms >= p.p50Ms && p.p50Ms > 0)).toBe(true);
      }
    });
  });

  describe('models query', () => {
    it('lists every model with its task, inputs, outputs and tensors, as its manifest and model.onnx say', async () => {
      const result = await gql(yoga, ModelsDocument);
      expect(result.errors).toBeUndefined();
      const models = result.data!.models;
      expect(models.map((m) => m.name).sort()).toEqual([...ALL_MODELS].sort());
      for (const model of models) {
        const manifest = services.registry.get(model.name)!.manifest;
        expect(model).toMatchObject({
          task: manifest.task,
          version: manifest.version,
          kind: manifest.kind,
          executionProvider: 'cpu',
          warmedUp: true,
        });
        expect(model.inputs.map((i) => [i.name, i.type, i.optional])).toEqual(
          manifest.features.map((f) => [f.name, f.type, f.default !== undefined]),
        );
        expect(model.outputs.map((o) => [o.name, o.kind, o.labels ?? null])).toEqual(
          manifest.outputs.map((o) => [o.name, o.kind, o.labels ?? null]),
        );
      }
      const byName = new Map(models.map((m) => [m.name, m]));
      expect(byName.get(CHURN)!.inputTensors).toEqual([
        { name: 'numeric', dtype: 'float32', shape: ['batch', '6'] },
        { name: 'plan', dtype: 'int64', shape: ['batch'] },
        { name: 'region', dtype: 'int64', shape: ['batch'] },
      ]);
      expect(byName.get(CHURN_GBDT)!.inputTensors.map((t) => t.dtype)).toEqual(['float32', 'string']);
      expect(byName.get(ANOMALY)!.inputs.find((i) => i.name === 'requestsPerMinute')).toMatchObject({ type: 'vector', length: 30 });
      expect(byName.get(MLP)!.inputs.find((i) => i.name === 'hourOfDay')).toMatchObject({ min: 0, max: 24, maxExclusive: true });
      const { data } = await send<{ models: { name: string }[] }>(yoga, '{ models(task: "Churn") { name } }');
      expect(data!.models.map((m) => m.name)).toEqual([CHURN, CHURN_GBDT]);
    });

    it('names the model behind a prediction', async () => {
      const reference = readReference(GBDT);
      const result = await gql(yoga, PredictOneDocument, { input: reference.cases[5]!.features as never, model: GBDT });
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
});
