/**
 * Bodies of the hostile corpus too large or too regular to write out in corpus.json: a case names
 * one with `"generate": "<name>"` (and `"n"`), and gets the body (and content type) built here.
 */
import { inputLiteral, sampleInputs } from '../support/models.ts';

export interface Generated {
  body: string | ReadableStream<Uint8Array>;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
}

const json = (value: unknown): Generated => ({ body: JSON.stringify(value) });
const lit = () => inputLiteral(sampleInputs(1)[0]!);

export const generators: Record<string, (n: number) => Generated> = {
  /** `{ a0: __typename a1: __typename ... }` with n aliases. */
  typenameAliases: (n) => json({ query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }` }),
  /** n aliased predictLatency fields sharing one variable. */
  predictionAliases: (n) => ({
    body: JSON.stringify({
      query: `query($i: LatencyFeaturesInput!) { ${Array.from({ length: n }, (_, i) => `p${i}: predictLatency(input: $i) { p50Ms }`).join(' ')} }`,
      variables: { i: sampleInputs(1)[0] },
    }),
  }),
  /** `sampleRequests(first: 3000) { predictedLatency }` under n aliases (3000 predictions each). */
  pageAliases: (n) =>
    json({
      query: `{ ${Array.from({ length: n }, (_, i) => `s${i}: sampleRequests(first: 3000) { predictedLatency { p50Ms } }`).join(' ')} }`,
    }),
  /** Three predictLatencies fields over one list variable of n inputs: 3n predictions. */
  sharedListTimesThree: (n) => ({
    body: JSON.stringify({
      query:
        'query($in: [LatencyFeaturesInput!]!) { a: predictLatencies(inputs: $in) { p50Ms } b: predictLatencies(inputs: $in) { p50Ms } c: predictLatencies(inputs: $in) { p50Ms } }',
      variables: { in: Array.from({ length: n }, (_, i) => sampleInputs(1, i % 3000)[0]) },
    }),
  }),
  /** predictLatencies with n inputs. */
  longList: (n) =>
    json({
      query: 'query($in: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $in) { p50Ms } }',
      variables: { in: Array.from({ length: n }, (_, i) => sampleInputs(1, i % 3000)[0]) },
    }),
  /** A valid query padded with n MiB of JSON string, with Content-Length. */
  paddedMiB: (n) => json({ query: '{ __typename }', padding: 'x'.repeat(n * 1024 * 1024) }),
  /** The same, streamed chunked: the server must count while reading. */
  paddedMiBChunked: (n) => ({
    body: new Blob([JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(n * 1024 * 1024) })]).stream(),
    chunked: true,
  }),
  /** A query of n MiB of whitespace. */
  whitespaceQuery: (n) => json({ query: `{ __typename ${' '.repeat(n * 1024 * 1024)}}` }),
  /** `introspection __schema { types { fields { type { ofType { ofType ... (n) } } } } }`. */
  deepIntrospection: (n) => json({ query: `{ __schema { types { fields { type ${'{ ofType '.repeat(n)}{ name }${' }'.repeat(n)} } } } }` }),
  /** An argument literal nesting n brackets. */
  nestedBrackets: (n) => json({ query: `{ predictLatency(input: ${'['.repeat(n)}1${']'.repeat(n)}) { p50Ms } }` }),
  /** A variable nesting n JSON arrays where an input list is expected. */
  nestedJsonVariable: (n) => ({
    body: `{"query":"query($in: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $in) { p50Ms } }","variables":{"in":${'['.repeat(n)}${']'.repeat(n)}}}`,
  }),
  /** Fragments F0..Fn, each spreading the next twice (2^n paths), the last one a prediction. */
  fragmentBomb: (n) =>
    json({
      query: `{ ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${n} on Query { predictLatency(input: ${lit()}) { p50Ms } }`,
    }),
  /** The same bomb ending in `__typename`: nothing to predict, and GraphQL merges it all. */
  fragmentBombTypename: (n) =>
    json({
      query: `{ ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${n} on Query { __typename }`,
    }),
  /** n copies of `@include(if: true)` on one field. */
  directiveFlood: (n) => json({ query: `{ __typename ${'@include(if: true) '.repeat(n)}}` }),
  /** An HTTP batch of n `{ __typename }` operations. */
  batch: (n) => json(Array.from({ length: n }, () => ({ query: '{ __typename }' }))),
  /** An HTTP batch of a valid operation and an alias bomb of n. */
  batchWithBomb: (n) =>
    json([{ query: '{ __typename }' }, { query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }` }]),
  /** n operations in one document, none named in the request. */
  manyOperations: (n) => json({ query: Array.from({ length: n }, (_, i) => `query Q${i} { __typename }`).join(' ') }),
};
