/**
 * Every shipped task through one server: a query mixing all of them and both model kinds is one
 * run per model used; classes, vectors, defaults and ranges behave as their manifests say; errors
 * stay on their field; and src/ names no task (the APIs come from the manifests alone).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Services } from '../../src/app.ts';
import { errorsByPath, type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import {
  ALL_MODELS,
  ANOMALY,
  CHURN,
  CHURN_GBDT,
  examplesOf,
  GBDT,
  inputLiteral,
  MLP,
  REVIEW_EMBEDDING,
  REVIEW_SENTIMENT,
  sampleInputs,
} from '../support/models.ts';
import { repoRoot } from '../support/node.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

describe.each(servingModes)('$name', (mode) => {
  let services: Services;
  let yoga: Fetcher;
  let probes: Probes;
  // Real models, loaded once per mode; the scheduler may run them on worker threads, stopped with it.
  serveDuringSuite(mode, (app) => ({ services, yoga, probes } = app));

  const churn = (i: number) => examplesOf('churn.examples.json')[i]!.features;
  const window = (i: number) => examplesOf('anomaly.examples.json')[i]!.features;
  const literal = (values: Record<string, unknown>) =>
    `{ ${Object.entries(values)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ')} }`;

  describe('a query mixing every task and both model kinds', () => {
    it('is exactly one run per model used, each field answered, the report per model', async () => {
      const query = `{
      sampleRequests(first: 30) { id predictedLatency { p50Ms } gbdt: predictedLatency(model: "${GBDT}") { p95Ms } }
      l1: predictLatency(input: ${inputLiteral(sampleInputs(1, 500)[0]!)}) { p50Ms }
      churnExamples(first: 20) { id prediction { outcome probabilities { label probability } } }
      c1: predictChurn(input: ${literal(churn(150))}, model: "${CHURN_GBDT}") { outcome }
      c2: predictChurn(input: ${literal(churn(151))}) { outcome }
      anomalyExamples(first: 10) { id prediction { score embedding } }
      a1: predictAnomaly(input: ${literal(window(50))}) { score }
    }`;
      const { result, runs } = await probes.counted(() => send<Record<string, unknown>>(yoga, query, undefined, TRACE));
      expect(result.errors).toBeUndefined();
      expect(runs).toEqual({
        [MLP]: { runs: 1, items: 31, failedRuns: 0 },
        [GBDT]: { runs: 1, items: 30, failedRuns: 0 },
        [CHURN]: { runs: 1, items: 21, failedRuns: 0 },
        [CHURN_GBDT]: { runs: 1, items: 1, failedRuns: 0 },
        [ANOMALY]: { runs: 1, items: 11, failedRuns: 0 },
        // Asked for no text: the text models do not run.
        [REVIEW_EMBEDDING]: { runs: 0, items: 0, failedRuns: 0 },
        [REVIEW_SENTIMENT]: { runs: 0, items: 0, failedRuns: 0 },
      });
      const batches = traceOf(result).batches;
      expect(Object.fromEntries(batches.map((b) => [b.model, b.size]))).toEqual({
        [MLP]: 31,
        [GBDT]: 30,
        [CHURN]: 21,
        [CHURN_GBDT]: 1,
        [ANOMALY]: 11,
      });
      expect(batches.find((b) => b.model === CHURN)!.fields).toEqual({ 'ChurnExample.prediction': 20, 'Query.predictChurn': 1 });
      const examples = result.data!.anomalyExamples as { prediction: { score: number; embedding: number[] } }[];
      expect(examples.every((e) => e.prediction.embedding.length === 8 && e.prediction.score >= 0)).toBe(true);
    });
  });

  describe('class outputs', () => {
    it('give the most probable label, probabilities in class order summing to 1, and the top ones sorted', async () => {
      const result = await send<{
        p: { outcome: string; all: { label: string; probability: number }[]; top: { label: string; probability: number }[] };
      }>(
        yoga,
        `{ p: predictChurn(input: ${literal(churn(3))}) { outcome all: probabilities { label probability } top: probabilities(top: 2) { label probability } } }`,
      );
      const { outcome, all, top } = result.data!.p;
      expect(all.map((p) => p.label)).toEqual(['RENEWS', 'DOWNGRADES', 'CHURNS']);
      expect(all.reduce((sum, p) => sum + p.probability, 0)).toBeCloseTo(1, 5);
      const sorted = [...all].sort((a, b) => b.probability - a.probability);
      expect(top).toEqual(sorted.slice(0, 2));
      expect(outcome).toBe(sorted[0]!.label);
    });

    it('refuse top: 0 on that field alone', async () => {
      const result = await send(
        yoga,
        `{ bad: predictChurn(input: ${literal(churn(3))}) { probabilities(top: 0) { label } } ok: predictChurn(input: ${literal(churn(4))}) { outcome } }`,
      );
      expect(errorsByPath(result).get('bad.probabilities')?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'top' });
      expect((result.data as { ok: { outcome: string } }).ok.outcome).toMatch(/^(RENEWS|DOWNGRADES|CHURNS)$/);
    });
  });

  describe('inputs', () => {
    it('fill an optional feature with its default: leaving it out equals sending it', async () => {
      const { lastLoginDaysAgo: _, ...without } = churn(10) as Record<string, unknown>;
      const result = await send<Record<string, { all: { probability: number }[] }>>(
        yoga,
        `{ a: predictChurn(input: ${literal(without)}) { all: probabilities { probability } } b: predictChurn(input: ${literal({ ...without, lastLoginDaysAgo: 7 })}) { all: probabilities { probability } } }`,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.a).toEqual(result.data!.b);
    });

    it('take fractional hours below 24 but refuse 24, and what float32 would round to 24', async () => {
      const base = sampleInputs(1, 700)[0]!;
      const result = await send(
        yoga,
        `{ ok: predictLatency(input: ${inputLiteral({ ...base, hourOfDay: 23.5 })}) { p50Ms } edge: predictLatency(input: ${inputLiteral({ ...base, hourOfDay: 24 })}) { p50Ms } rounded: predictLatency(input: ${inputLiteral({ ...base, hourOfDay: 23.99999999 })}) { p50Ms } }`,
      );
      const errors = errorsByPath(result);
      expect([...errors.keys()].sort()).toEqual(['edge', 'rounded']);
      expect(errors.get('edge')!.message).toContain('hourOfDay must be within [0, 24) h, but got: 24');
      expect(errors.get('rounded')!.message).toContain('(as float32, 23.99999999 is 24)');
      expect((result.data as { ok: { p50Ms: number } }).ok.p50Ms).toBeGreaterThan(0);
    });

    it("check a vector's length and each of its values, on that field alone", async () => {
      const good = window(5) as { requestsPerMinute: number[]; hourOfDay: number };
      const result = await send(
        yoga,
        `{ short: predictAnomaly(input: ${literal({ ...good, requestsPerMinute: good.requestsPerMinute.slice(1) })}) { score }
         negative: predictAnomaly(input: ${literal({ ...good, requestsPerMinute: [-1, ...good.requestsPerMinute.slice(1)] })}) { score }
         ok: predictAnomaly(input: ${literal(good)}) { score } }`,
      );
      const errors = errorsByPath(result);
      expect(errors.get('short')!.extensions?.problems).toEqual([
        { feature: 'requestsPerMinute', value: good.requestsPerMinute.slice(1), reason: 'must be a list of 30 numbers' },
      ]);
      expect(errors.get('negative')!.message).toContain('requestsPerMinute element 0 must be within [0, 100000] requests/min');
      // The bad value is echoed as it was sent: a JSON list, not "1,2,3".
      expect(errors.get('short')!.message).toContain(`but got: ${JSON.stringify(good.requestsPerMinute.slice(1))}.`);
      expect((result.data as { ok: { score: number } }).ok.score).toBeGreaterThanOrEqual(0);
    });

    it('models list the tensor each field reads, even where the manifest leaves it implicit', async () => {
      const result = await send<{ model: { inputs: { name: string; tensor: string }[]; outputTensors: { name: string }[] } }>(
        yoga,
        `{ model(name: "${MLP}") { inputs { name tensor } outputTensors { name } } }`,
      );
      expect(result.errors).toBeUndefined();
      const { inputs, outputTensors } = result.data!.model;
      expect(inputs.length).toBeGreaterThan(0);
      expect(new Set(inputs.map((i) => i.tensor)).size).toBe(1);
      expect(inputs[0]!.tensor).toMatch(/\S/);
      expect(outputTensors.length).toBeGreaterThan(0);
    });

    it("refuse a model of another task with MODEL_NOT_FOUND, listing the task's models", async () => {
      const result = await send(yoga, `{ x: predictChurn(input: ${literal(churn(1))}, model: "${MLP}") { outcome } }`);
      expect(result.errors![0]).toMatchObject({
        message: `No model named "${MLP}" serves task Churn. Its models: "${CHURN}", "${CHURN_GBDT}". See the \`models\` query.`,
        extensions: { code: 'MODEL_NOT_FOUND', task: 'Churn' },
      });
    });
  });

  describe('examples lists', () => {
    it('fail alone: a bad page is an error on that list, the rest of the response is answered', async () => {
      const result = await send<{ sampleRequests: unknown; models: { name: string }[]; churnExamples: { id: string }[] }>(
        yoga,
        '{ sampleRequests(first: 6000) { id } churnExamples(first: 2) { id } models { name } }',
      );
      expect(result.status).toBe(200);
      expect(result.errors!.map((e) => [e.path, e.extensions?.code])).toEqual([[['sampleRequests'], 'BAD_USER_INPUT']]);
      expect(result.data!.sampleRequests).toBeNull();
      expect(result.data!.churnExamples.map((e) => e.id)).toEqual(['cust-0001', 'cust-0002']);
      expect(result.data!.models).toHaveLength(ALL_MODELS.length);
    });
  });

  describe('src/', () => {
    it('names no shipped task, model, feature or field: every API comes from the manifests', () => {
      const words = /latency|predictedLatency|sampleRequest|payloadKb|p50Ms|p95Ms|churn|anomaly|outcome|requestsPerMinute/i;
      const offending: string[] = [];
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else
            readFileSync(path, 'utf8')
              .split('\n')
              .forEach((line, i) => {
                if (words.test(line)) offending.push(`${path.slice(repoRoot.length)}:${i + 1}: ${line.trim()}`);
              });
        }
      };
      walk(join(repoRoot, 'src'));
      expect(offending).toEqual([]);
    });
  });
});
