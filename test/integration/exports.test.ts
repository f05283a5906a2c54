/**
 * Models as the converters export them (test/fixtures/exports/, made by `models/train.py
 * --exports`: skl2onnx with and without ZipMap, onnxmltools' XGBoost, torch with a sigmoid, a
 * batch fixed to 1, rank-3 and rank-4 tensors): each through `npm run model:add` as a user runs
 * it, then served as the skeleton was written, with no edit. Every reference case (computed by
 * sklearn, xgboost or torch themselves) comes back through GraphQL with the model's own labels;
 * a model of one row per run says so in its report; a value the model itself refuses is
 * BAD_USER_INPUT on its field alone.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plural } from '../../src/graphql/tasks.ts';
import { type FeatureSpec, type ModelManifest, ModelRegistry, type OutputSpec } from '../../src/inference/index.ts';
import { type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { close } from '../support/models.ts';
import { nodeBinary, repoRoot } from '../support/node.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

const run = promisify(execFile);
const fs = { cp, mkdtemp, readFile, rm, writeFile };
const EXPORTS = join(repoRoot, 'test', 'fixtures', 'exports');
const fixtures = readdirSync(EXPORTS).sort();
/**
 * The zipmap=False pipeline after the edit a user might make: country as free text (with a default
 * the warm-up can feed), which the model's OneHotEncoder refuses when unknown.
 */
const FREE_TEXT = 'sklearn-free-country';

interface Reference {
  source: string;
  cases: { inputs: Record<string, unknown>; outputs: Record<string, unknown> }[];
  unknownCategories?: Record<string, string[]>;
}

let modelsDir: string;
let bindingsFile: string;
const added = new Map<string, { stdout: string; manifest: ModelManifest; reference: Reference }>();

beforeAll(async () => {
  modelsDir = await fs.mkdtemp(join(tmpdir(), 'predictql-exports-'));
  for (const name of fixtures) {
    const { stdout } = await run(
      nodeBinary,
      ['scripts/model-add.ts', join(EXPORTS, name, 'model.onnx'), '--name', name, '--models-dir', modelsDir],
      {
        cwd: repoRoot,
      },
    );
    const manifest = JSON.parse(await fs.readFile(join(modelsDir, name, 'manifest.json'), 'utf8')) as ModelManifest;
    const reference = JSON.parse(await fs.readFile(join(EXPORTS, name, 'reference.json'), 'utf8')) as Reference;
    added.set(name, { stdout: String(stdout), manifest, reference });
  }
  const freeText = JSON.parse(await fs.readFile(join(modelsDir, 'sklearn-pipeline-tensors', 'manifest.json'), 'utf8')) as ModelManifest;
  await fs.cp(join(modelsDir, 'sklearn-pipeline-tensors'), join(modelsDir, FREE_TEXT), { recursive: true });
  freeText.name = FREE_TEXT;
  freeText.task = 'FreeCountry';
  freeText.features = freeText.features.map((f) =>
    f.name === 'country' ? { name: 'country', type: 'string', tensor: 'country', default: 'France', description: '' } : f,
  ) as FeatureSpec[];
  await fs.writeFile(join(modelsDir, FREE_TEXT, 'manifest.json'), JSON.stringify(freeText));
  // Entities of another subgraph that feed the exports: a nested list, and a category from a String.
  bindingsFile = join(modelsDir, 'bindings.json');
  const bindings = [
    {
      entity: 'Sensor',
      key: 'id',
      model: 'torch-lstm-timeseries',
      field: 'nextHour',
      features: { series: { field: 'lastDay', type: '[[Float!]!]!' } },
    },
    {
      entity: 'Account',
      key: 'id',
      model: 'sklearn-pipeline-tensors',
      field: 'renewal',
      features: { country: { field: 'countryName', type: 'String!' }, age: 'ownerAge', income: 'incomeK' },
    },
  ];
  await fs.writeFile(bindingsFile, JSON.stringify({ bindings }));
}, 120_000);
afterAll(() => fs.rm(modelsDir, { recursive: true, force: true }));

describe('npm run model:add on each export', () => {
  it.each(fixtures)('%s: adds it, saying what the server will rewrite and what to fill in', (name) => {
    const { stdout, manifest } = added.get(name)!;
    expect(stdout).toContain(`added ${join(modelsDir, name, 'model.onnx')}`);
    expect(stdout).toContain('It loads and warms up as the server will load it');
    if (name.includes('zipmap')) expect(stdout).toContain('from ZipMap → float32 [N, ');
    if (manifest.outputs.some((o) => o.kind === 'class')) expect(stdout).toMatch(/a class of (\d|two) labels/);
  });
});

describe('a class output against the classifier in model.onnx', () => {
  it("refuses the model's own labels in another order than its columns, naming both", async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'predictql-labels-'));
    try {
      await fs.cp(join(modelsDir, 'sklearn-pipeline-tensors'), join(dir, 'reordered'), { recursive: true });
      const manifest = JSON.parse(await fs.readFile(join(dir, 'reordered', 'manifest.json'), 'utf8')) as ModelManifest;
      manifest.name = 'reordered';
      manifest.outputs = manifest.outputs.map((o) => (o.kind === 'class' ? { ...o, labels: [...o.labels!].reverse() } : o));
      await fs.writeFile(join(dir, 'reordered', 'manifest.json'), JSON.stringify(manifest));
      await expect(ModelRegistry.load(dir)).rejects.toThrow(
        `${join(dir, 'reordered', 'manifest.json')}: output "label" reads "probabilities", whose classes are churns, renews in model.onnx (LinearClassifier), but the manifest lists renews, churns: give them in the model's order`,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe.each(servingModes)('the skeletons as written: $name', (mode) => {
  let yoga: Fetcher;
  let probes: Probes;
  // The rewritten models also on workers: a worker loads the rewritten bytes, not model.onnx.
  serveDuringSuite(
    mode,
    (app) => ({ yoga, probes } = app),
    () => ({
      PREDICTQL_MODELS_DIR: modelsDir,
      PREDICTQL_EXECUTOR: 'sklearn-pipeline-zipmap=worker,xgboost-skl2onnx-zipmap=worker',
      PREDICTQL_ENTITY_BINDINGS: bindingsFile,
    }),
  );

  it.each(fixtures)('%s: every reference case, as the framework computed it, in one run (or one per row, said so)', async (name) => {
    const { manifest, reference } = added.get(name)!;
    const task = manifest.task;
    const query = `query ($inputs: [${task}Input!]!) { predict${plural(task)}(inputs: $inputs) { ${selection(manifest)} } }`;
    const inputs = reference.cases.map((c) => inputOf(manifest, c.inputs));
    const { result, runs } = await probes.counted(() => send<Record<string, Record<string, unknown>[]>>(yoga, query, { inputs }, TRACE));
    expect(result.errors).toBeUndefined();
    const answers = result.data![`predict${plural(task)}`]!;
    for (const [i, c] of reference.cases.entries()) expectOutputs(manifest, answers[i]!, c.outputs, `${name} case ${i}`);
    const batches = traceOf(result).batches;
    if (manifest.tensors.inputs?.[0]?.shape[0] === 1) {
      // The batch axis is fixed to 1: one run per row, each saying why.
      expect(runs[name]).toEqual({ runs: reference.cases.length, items: reference.cases.length, failedRuns: 0 });
      expect(batches.every((b) => b.size === 1 && b.limit === 'model.onnx fixes its batch axis to 1: one row per run')).toBe(true);
    } else {
      expect(runs[name]).toEqual({ runs: 1, items: new Set(inputs.map((x) => JSON.stringify(x))).size, failedRuns: 0 });
      expect(batches[0]!.limit).toBeUndefined();
    }
  });

  it('a category the model does not know: refused by the enum before any run; as free text, the model refuses it alone (BAD_USER_INPUT)', async () => {
    const { reference } = added.get('sklearn-pipeline-tensors')!;
    const known = reference.cases[0]!.inputs;
    const enumRefused = await probes.counted(() =>
      send(yoga, 'query ($i: SklearnPipelineTensorsInput!) { predictSklearnPipelineTensors(input: $i) { label } }', {
        i: { ...known, country: 'Atlantis' },
      }),
    );
    expect(enumRefused.result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(enumRefused.runs['sklearn-pipeline-tensors']).toEqual({ runs: 0, items: 0, failedRuns: 0 });
    // The manifest edited to a string feature: the model's OneHotEncoder (zeros=0) fails the run of that row.
    const inputs = [known, { ...known, country: 'Atlantis' }, reference.cases[1]!.inputs, { ...known, country: '' }];
    const { result, runs } = await probes.counted(() =>
      send<{ predictFreeCountries: ({ label: string } | null)[] }>(
        yoga,
        'query ($inputs: [FreeCountryInput!]!) { predictFreeCountries(inputs: $inputs) { label } }',
        { inputs },
        TRACE,
      ),
    );
    expect((result.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.rejectedByModel])).toEqual([
      ['predictFreeCountries.1', 'BAD_USER_INPUT', true],
      ['predictFreeCountries.3', 'BAD_USER_INPUT', true],
    ]);
    expect(result.errors![0]!.message).toBe(
      'Model "sklearn-free-country" rejected this input: it could not compute a prediction from one of its values. Retrying will not help; see the model\'s features in the `models` query.',
    );
    expect(result.data!.predictFreeCountries.map((p) => p?.label ?? null)).toEqual([
      reference.cases[0]!.outputs.label,
      null,
      reference.cases[1]!.outputs.label,
      null,
    ]);
    // The merged run failed, its halves were re-run until the two bad rows were alone.
    expect(runs[FREE_TEXT]!.failedRuns).toBeGreaterThanOrEqual(3);
  });

  it('_entities feed them: a nested-list field to a tensor feature, a String to a category; one run per model, bad values on their entity only', async () => {
    const lstm = added.get('torch-lstm-timeseries')!.reference.cases;
    const pipeline = added.get('sklearn-pipeline-tensors')!.reference.cases;
    const sensors = lstm.slice(0, 6).map((c, i) => ({ __typename: 'Sensor', id: `s${i}`, lastDay: c.inputs.series }));
    sensors[2] = { ...sensors[2]!, lastDay: (sensors[2]!.lastDay as number[][]).slice(0, 23) }; // 23 hours, not 24
    const accounts = pipeline.slice(0, 4).map((c, i) => ({
      __typename: 'Account',
      id: `a${i}`,
      countryName: c.inputs.country,
      ownerAge: c.inputs.age,
      incomeK: c.inputs.income,
    }));
    accounts[1] = { ...accounts[1]!, countryName: 'Atlantis' };
    const query =
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Sensor { id nextHour { forecast } } ... on Account { id renewal { label } } } }';
    const { result, runs } = await probes.counted(() =>
      send<{ _entities: ({ nextHour?: { forecast: number } | null; renewal?: { label: string } | null } | null)[] }>(yoga, query, {
        r: [...sensors, ...accounts],
      }),
    );
    expect(runs['torch-lstm-timeseries']).toEqual({ runs: 1, items: 5, failedRuns: 0 });
    expect(runs['sklearn-pipeline-tensors']).toEqual({ runs: 1, items: 3, failedRuns: 0 });
    expect((result.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
      ['_entities.2.nextHour', 'BAD_USER_INPUT'],
      ['_entities.7.renewal', 'BAD_USER_INPUT'],
    ]);
    expect(result.errors![0]!.message).toContain('must be nested lists of shape 24 × 3 (axis 0 has 23 values, not 24)');
    expect(result.errors![1]!.message).toContain('country must be one of Brazil, France, Germany, India, Japan, but got: "Atlantis"');
    const entities = result.data!._entities;
    for (const i of [0, 1, 3, 4, 5]) expectClose(entities[i]!.nextHour!.forecast, lstm[i]!.outputs.forecast, `sensor ${i}`);
    for (const i of [0, 2, 3]) expect(entities[6 + i]!.renewal!.label).toBe(pipeline[i]!.outputs.label);
  });
});

// Private: every field of every output, as the skeleton names them.
function selection(manifest: ModelManifest): string {
  return manifest.outputs
    .map((o) =>
      o.kind === 'class' && o.scores !== 'none' ? `${o.name} ${o.probabilitiesField ?? 'probabilities'} { label probability }` : o.name,
    )
    .join(' ');
}

// Private: a reference case's tensor values as the skeleton's input: one field per column of a
// [batch, k] input, the value itself for [batch] and [batch, 1], nested lists for a tensor feature,
// a category's enum value for the model's own value.
function inputOf(manifest: ModelManifest, raw: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const columns = new Map<string, number>();
  for (const f of manifest.features) {
    const value = raw[f.tensor!];
    const c = columns.get(f.tensor!) ?? 0;
    columns.set(f.tensor!, c + 1);
    const own = f.type === 'tensor' ? value : Array.isArray(value) ? value[c] : value;
    input[f.name] = f.type === 'category' ? enumOf(f, own) : own;
  }
  return input;
}

function enumOf(f: FeatureSpec, own: unknown): string {
  const found = f.values!.find((v) => (f.codes?.[v] ?? v) === own);
  if (!found) throw new Error(`${f.name}: ${JSON.stringify(own)} is not one of ${f.values!.join(', ')}`);
  return found;
}

function expectOutputs(manifest: ModelManifest, answer: Record<string, unknown>, outputs: Record<string, unknown>, at: string): void {
  const columns = new Map<string, number>();
  for (const o of manifest.outputs) {
    const c = columns.get(o.tensor ?? '') ?? 0;
    columns.set(o.tensor ?? '', c + 1);
    if (o.kind === 'class') expectClass(o, answer, outputs, at);
    else if ((o.kind ?? 'value') === 'value') {
      const want = outputs[o.tensor!];
      expectClose(answer[o.name], Array.isArray(want) ? want[c] : want, `${at} ${o.name}`);
    } else expectClose(answer[o.name], outputs[o.tensor!], `${at} ${o.name}`);
  }
}

function expectClass(o: OutputSpec, answer: Record<string, unknown>, outputs: Record<string, unknown>, at: string): void {
  const labelOf = (own: unknown) => o.labels![(o.modelLabels ?? o.labels!).indexOf(own as string)];
  let probabilities: number[] | undefined;
  if (o.scores === 'sigmoid') {
    const p = outputs[o.tensor!] as number;
    probabilities = [1 - p, p];
    // The label a torch user takes: the second class where p > 0.5.
    expect(answer[o.name], `${at} label`).toBe(o.labels![p > 0.5 ? 1 : 0]);
  } else {
    if (o.tensor) probabilities = outputs[o.tensor] as number[];
    expect(answer[o.name], `${at} label`).toBe(labelOf(outputs[o.labelTensor!]));
  }
  if (!probabilities) return;
  const served = answer[o.probabilitiesField ?? 'probabilities'] as { label: string; probability: number }[];
  expect(served.map((p) => p.label)).toEqual(o.labels);
  expectClose(
    served.map((p) => p.probability),
    probabilities,
    `${at} probabilities`,
  );
}

function expectClose(actual: unknown, expected: unknown, at: string): void {
  if (Array.isArray(expected)) {
    expect(
      Array.isArray(actual) && actual.length === expected.length,
      `${at}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`,
    ).toBe(true);
    for (const [i, e] of expected.entries()) expectClose((actual as unknown[])[i], e, `${at}[${i}]`);
    return;
  }
  expect(close(actual as number, expected as number), `${at}: ${actual} vs ${expected}`).toBe(true);
}
