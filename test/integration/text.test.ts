/**
 * The shipped text task (models/review-sentiment, models/review-embedding, made by
 * `models/train.py --text`: a small transformer, its WordPiece tokenizer.json written by train.py):
 * predictql's token ids equal train.py's for every reference text; the answers equal torch's
 * (labels and probabilities; embeddings mean-pooled over the mask and L2-normalised); a request's
 * texts of one model are one run padded to that run's longest row, and the report says how
 * efficient the padding was; a token budget splits only a job larger than itself; empty, too long
 * and too large texts are refused on their field alone, or truncated and said so. Under one GraphQL
 * thread and the default GraphQL threads (tokenizing happens where GraphQL runs).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelsDir } from '../../src/config.ts';
import { readTokenizerFiles, TextTokenizer } from '../../src/inference/index.ts';
import { type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { close } from '../support/models.ts';
import { nodeBinary, repoRoot } from '../support/node.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

const SENTIMENT = 'review-sentiment';
const EMBEDDING = 'review-embedding';

interface TextCase {
  text: string;
  ids: number[];
  truncatedIds?: number[];
  outputs: { sentiment?: string; probabilities?: number[]; embedding?: number[] };
}
const referenceOf = (model: string) =>
  (JSON.parse(readFileSync(join(defaultModelsDir, model, 'reference.json'), 'utf8')) as { cases: TextCase[] }).cases;
const sentimentCases = referenceOf(SENTIMENT);
const embeddingCases = referenceOf(EMBEDDING);
/** The cases a model answers as they are: not blank, within its 128 tokens. */
const served = (cases: TextCase[]) => cases.filter((c) => c.text.trim() !== '' && c.ids.length <= 128);

// A copy of the sentiment model that truncates instead of refusing, and a tight token budget.
let modelsDir: string;
const added = new Map<string, string>();
const run = promisify(execFile);
beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'predictql-text-'));
  for (const model of [SENTIMENT, EMBEDDING]) await cp(join(defaultModelsDir, model), join(modelsDir, model), { recursive: true });
  const manifest = JSON.parse(await readFile(join(modelsDir, SENTIMENT, 'manifest.json'), 'utf8'));
  manifest.name = 'review-sentiment-truncating';
  manifest.task = 'TruncatingReview';
  manifest.default = false;
  manifest.features[0].overflow = 'truncate';
  manifest.maxBatchTokens = 256;
  await cp(join(modelsDir, SENTIMENT), join(modelsDir, manifest.name), { recursive: true });
  await writeFile(join(modelsDir, manifest.name, 'manifest.json'), JSON.stringify(manifest));
  // The two models as an optimum export leaves them (no manifest), through model:add as a user runs it.
  for (const [model, name] of [
    [SENTIMENT, 'added-sentiment'],
    [EMBEDDING, 'added-embedding'],
  ] as const) {
    const exported = join(modelsDir, '_exports', model);
    await cp(join(defaultModelsDir, model), exported, { recursive: true });
    await rm(join(exported, 'manifest.json'));
    await rm(join(exported, 'reference.json'));
    added.set(
      name,
      (await run(nodeBinary, ['scripts/model-add.ts', exported, '--name', name, '--models-dir', modelsDir], { cwd: repoRoot })).stdout,
    );
  }
  // Another subgraph's Review: its body feeds the text feature.
  const binding = {
    entity: 'Review',
    key: 'id',
    model: SENTIMENT,
    field: 'sentiment',
    features: { text: { field: 'body', type: 'String!' } },
  };
  await writeFile(join(modelsDir, 'bindings.json'), JSON.stringify({ bindings: [binding] }));
});
afterAll(() => rm(modelsDir, { recursive: true, force: true }));

describe("the tokenizer: predictql's ids are train.py's", () => {
  it.each([SENTIMENT, EMBEDDING])('%s: every reference text, special tokens included, and the truncated ones', async (model) => {
    const tokenizer = new TextTokenizer(await readTokenizerFiles(join(defaultModelsDir, model)));
    for (const c of referenceOf(model)) {
      expect(tokenizer.encode(c.text).ids, JSON.stringify(c.text)).toEqual(c.ids);
      if (c.truncatedIds) expect(tokenizer.truncate(c.ids, 128)).toEqual(c.truncatedIds);
    }
  });
});

describe.each(servingModes)('text models: $name', (mode) => {
  let yoga: Fetcher;
  let probes: Probes;
  serveDuringSuite(
    mode,
    (app) => ({ yoga, probes } = app),
    () => ({
      PREDICTQL_MODELS_DIR: modelsDir,
      PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION: '4000',
      PREDICTQL_ENTITY_BINDINGS: join(modelsDir, 'bindings.json'),
    }),
  );

  it("classifies every reference review as torch does, in one run padded to that run's longest row", async () => {
    const cases = served(sentimentCases);
    const { result, runs } = await probes.counted(() =>
      send<{ predictReviewSentiments: { sentiment: string; probabilities: { label: string; probability: number }[] }[] }>(
        yoga,
        'query ($i: [ReviewSentimentInput!]!) { predictReviewSentiments(inputs: $i) { sentiment probabilities { label probability } } }',
        { i: cases.map((c) => ({ text: c.text })) },
        TRACE,
      ),
    );
    expect(result.errors).toBeUndefined();
    const distinct = new Set(cases.map((c) => c.text)).size;
    expect(runs[SENTIMENT]).toEqual({ runs: 1, items: distinct, failedRuns: 0 });
    for (const [i, p] of result.data!.predictReviewSentiments.entries()) {
      expect(p.sentiment, cases[i]!.text).toBe(cases[i]!.outputs.sentiment);
      for (const [k, q] of p.probabilities.entries())
        expect(close(q.probability, cases[i]!.outputs.probabilities![k]!), cases[i]!.text).toBe(true);
    }
    const [batch] = traceOf(result).batches;
    const lengths = [...new Set(cases.map((c) => c.text))].map((t) => cases.find((c) => c.text === t)!.ids.length);
    const real = lengths.reduce((a, b) => a + b, 0);
    const longest = Math.max(...lengths);
    expect(batch!.tokens).toEqual({
      real,
      padded: distinct * longest,
      efficiency: Math.round((real / (distinct * longest)) * 1000) / 1000,
    });
  });

  it('embeds every reference review as torch does: mean over the mask, L2-normalised', async () => {
    const cases = served(embeddingCases);
    const { result, runs } = await probes.counted(() =>
      send<{ predictReviewEmbeddings: { embedding: number[] }[] }>(
        yoga,
        'query ($i: [ReviewEmbeddingInput!]!) { predictReviewEmbeddings(inputs: $i) { embedding } }',
        { i: cases.map((c) => ({ text: c.text })) },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(runs[EMBEDDING]!.runs).toBe(1);
    for (const [i, p] of result.data!.predictReviewEmbeddings.entries()) {
      const want = cases[i]!.outputs.embedding!;
      expect(p.embedding).toHaveLength(want.length);
      for (const [k, v] of p.embedding.entries()) expect(Math.abs(v - want[k]!), cases[i]!.text).toBeLessThanOrEqual(1e-4);
      expect(Math.hypot(...p.embedding)).toBeCloseTo(1, 5);
    }
  });

  it('refuses an empty, a blank, a too long and a too large text on its own field; its neighbours run', async () => {
    const long = sentimentCases.find((c) => c.ids.length > 128)!;
    const inputs = ['Great value.', '', '   \t ', long.text, 'x'.repeat(5000), 'Not good at all.'].map((text) => ({ text }));
    const { result, runs } = await probes.counted(() =>
      send<{ predictReviewSentiments: ({ sentiment: string } | null)[] }>(
        yoga,
        'query ($i: [ReviewSentimentInput!]!) { predictReviewSentiments(inputs: $i) { sentiment } }',
        { i: inputs },
      ),
    );
    expect(runs[SENTIMENT]).toEqual({ runs: 1, items: 2, failedRuns: 0 });
    expect(result.data!.predictReviewSentiments.map((p) => p !== null)).toEqual([true, false, false, false, false, true]);
    const reasons = (result.errors ?? []).map((e) => [
      e.path?.join('.'),
      e.extensions?.code,
      (e.extensions?.problems as { reason: string }[] | undefined)?.[0]?.reason,
    ]);
    expect(reasons).toEqual([
      ['predictReviewSentiments.1', 'BAD_USER_INPUT', 'must hold at least one token (it is empty or blank)'],
      ['predictReviewSentiments.2', 'BAD_USER_INPUT', 'must hold at least one token (it is empty or blank)'],
      [
        'predictReviewSentiments.3',
        'BAD_USER_INPUT',
        `must be at most 128 tokens long with the model's special tokens (it is ${long.ids.length}): shorten it, or give the feature "overflow": "truncate"`,
      ],
      ['predictReviewSentiments.4', 'BAD_USER_INPUT', 'must be at most 4096 characters long (it has 5000)'],
    ]);
  });

  it('with overflow: truncate, a long text is cut to 128 tokens, answered as torch answers the cut text, and says so', async () => {
    const long = sentimentCases.filter((c) => c.truncatedIds);
    const { result } = await probes.counted(() =>
      send<{ predictTruncatingReviews: { sentiment: string; probabilities: { probability: number }[]; truncated: boolean }[] }>(
        yoga,
        'query ($i: [TruncatingReviewInput!]!) { predictTruncatingReviews(inputs: $i) { sentiment probabilities { probability } truncated } }',
        { i: [...long, sentimentCases[3]!].map((c) => ({ text: c.text })) },
      ),
    );
    expect(result.errors).toBeUndefined();
    const answers = result.data!.predictTruncatingReviews;
    expect(answers.map((a) => a.truncated)).toEqual([...long.map(() => true), false]);
    for (const [i, c] of long.entries()) {
      expect(answers[i]!.sentiment).toBe(c.outputs.sentiment);
      for (const [k, q] of answers[i]!.probabilities.entries()) expect(close(q.probability, c.outputs.probabilities![k]!)).toBe(true);
    }
  });

  it('a token budget (maxBatchTokens 256) splits only a job larger than itself: each run ≤ 256 padded tokens, every text answered', async () => {
    const cases = served(sentimentCases).filter((c) => c.ids.length >= 20 && c.ids.length <= 100);
    const { result, runs } = await probes.counted(() =>
      send<{ predictTruncatingReviews: { sentiment: string }[] }>(
        yoga,
        'query ($i: [TruncatingReviewInput!]!) { predictTruncatingReviews(inputs: $i) { sentiment } }',
        { i: cases.map((c) => ({ text: c.text })) },
        TRACE,
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.predictTruncatingReviews.map((p) => p.sentiment)).toEqual(cases.map((c) => c.outputs.sentiment));
    const batches = traceOf(result).batches;
    expect(batches.length).toBe(runs['review-sentiment-truncating']!.runs);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.tokens!.padded).toBeLessThanOrEqual(256);
    expect(batches.reduce((a, b) => a + b.size, 0)).toBe(new Set(cases.map((c) => c.text)).size);
  });

  it("counts an operation's tokens, not its rows: past PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION a text is refused on its field", async () => {
    const long = served(sentimentCases).find((c) => c.ids.length === 128)!;
    // 40 distinct long texts (the same review, a word fewer each time): those past 4000 tokens in all are refused.
    const inputs = Array.from({ length: 40 }, (_, k) => ({ text: long.text.split(' ').slice(k).join(' ') }));
    const tokens = new TextTokenizer(await readTokenizerFiles(join(defaultModelsDir, SENTIMENT)));
    const lengths = inputs.map((input) => tokens.encode(input.text).ids.length);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(128);
    const fits = lengths.findIndex((_, i) => lengths.slice(0, i + 1).reduce((a, b) => a + b, 0) > 4000);
    const { result, runs } = await probes.counted(() =>
      send<{ predictReviewSentiments: ({ sentiment: string } | null)[] }>(
        yoga,
        'query ($i: [ReviewSentimentInput!]!) { predictReviewSentiments(inputs: $i) { sentiment } }',
        { i: inputs },
      ),
    );
    expect(fits).toBeGreaterThan(0);
    expect(runs[SENTIMENT]).toEqual({ runs: 1, items: fits, failedRuns: 0 });
    expect((result.errors ?? []).map((e) => e.path?.join('.'))).toEqual(
      inputs.slice(fits).map((_, i) => `predictReviewSentiments.${fits + i}`),
    );
    expect(result.errors![0]!.extensions).toMatchObject({ code: 'PREDICTION_LIMIT_EXCEEDED', limit: 4000 });
  });

  it("_entities: a Review's body feeds the text feature; one run for the call, a blank body fails its entity alone", async () => {
    const cases = served(sentimentCases).slice(0, 9);
    const representations = [
      ...cases.map((c, i) => ({ __typename: 'Review', id: `r${i}`, body: c.text })),
      { __typename: 'Review', id: 'blank', body: ' ' },
    ];
    const { result, runs } = await probes.counted(() =>
      send<{ _entities: { id: string; sentiment: { sentiment: string } | null }[] }>(
        yoga,
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Review { id sentiment { sentiment } } } }',
        { r: representations },
      ),
    );
    expect(runs[SENTIMENT]).toEqual({ runs: 1, items: new Set(cases.map((c) => c.text)).size, failedRuns: 0 });
    expect(result.data!._entities.slice(0, 9).map((e) => e.sentiment?.sentiment)).toEqual(cases.map((c) => c.outputs.sentiment));
    expect((result.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
      ['_entities.9.sentiment', 'BAD_USER_INPUT'],
    ]);
  });

  it('model:add on an exported folder (model.onnx, tokenizer files, config.json, 1_Pooling): served as written, equal to torch', async () => {
    expect(added.get('added-sentiment')).toContain("a class of the 3 labels of config.json's id2label (NEGATIVE, NEUTRAL, POSITIVE)");
    expect(added.get('added-sentiment')).toContain('copied tokenizer.json beside model.onnx');
    expect(added.get('added-embedding')).toContain('the mean over its tokens (as 1_Pooling/config.json says), L2-normalised');
    const cases = served(sentimentCases).slice(0, 20);
    const embeddings = served(embeddingCases).slice(0, 20);
    const { result, runs } = await probes.counted(() =>
      send<{ predictAddedSentiments: { label: string }[]; predictAddedEmbeddings: { embedding: number[] }[] }>(
        yoga,
        'query ($a: [AddedSentimentInput!]!, $b: [AddedEmbeddingInput!]!) { predictAddedSentiments(inputs: $a) { label } predictAddedEmbeddings(inputs: $b) { embedding } }',
        { a: cases.map((c) => ({ text: c.text })), b: embeddings.map((c) => ({ text: c.text })) },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(runs['added-sentiment']!.runs).toBe(1);
    expect(runs['added-embedding']!.runs).toBe(1);
    expect(result.data!.predictAddedSentiments.map((p) => p.label)).toEqual(cases.map((c) => c.outputs.sentiment));
    for (const [i, p] of result.data!.predictAddedEmbeddings.entries())
      for (const [k, v] of p.embedding.entries()) expect(Math.abs(v - embeddings[i]!.outputs.embedding![k]!)).toBeLessThanOrEqual(1e-4);
  });
});
