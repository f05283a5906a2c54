/* eslint-disable */
import * as types from './graphql.ts';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query IssueExample($quiet: LatencyFeaturesInput!, $busy: LatencyFeaturesInput!) {\n  sampleRequests(first: 200) {\n    id\n    predictedLatency {\n      p50Ms\n      p95Ms\n    }\n  }\n  quiet: predictLatency(input: $quiet) {\n    p50Ms\n    p95Ms\n  }\n  busy: predictLatency(input: $busy) {\n    p50Ms\n    p95Ms\n    model {\n      name\n    }\n  }\n}": typeof types.IssueExampleDocument,
    "query Models {\n  models {\n    name\n    task\n    version\n    kind\n    inputs {\n      name\n      type\n      min\n      max\n      maxExclusive\n      values\n      length\n      optional\n      unit\n    }\n    outputs {\n      name\n      kind\n      labels\n      unit\n    }\n    inputTensors {\n      name\n      dtype\n      shape\n    }\n    executionProvider\n    warmedUp\n  }\n}": typeof types.ModelsDocument,
    "query PredictMany($inputs: [LatencyFeaturesInput!]!, $model: String) {\n  predictLatencies(inputs: $inputs, model: $model) {\n    p50Ms\n    p95Ms\n  }\n}": typeof types.PredictManyDocument,
    "query PredictOne($input: LatencyFeaturesInput!, $model: String) {\n  predictLatency(input: $input, model: $model) {\n    p50Ms\n    p95Ms\n    model {\n      name\n      version\n    }\n  }\n}": typeof types.PredictOneDocument,
    "query SampleRequestsPlain($first: Int, $offset: Int) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    features {\n      payloadKb\n      concurrency\n      cpuUtilization\n      memoryUtilization\n      cacheHitRatio\n      dbQueries\n      downstreamCalls\n      hourOfDay\n    }\n  }\n}": typeof types.SampleRequestsPlainDocument,
    "query SampleRequestsWithPredictions($first: Int, $offset: Int, $model: String) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    predictedLatency(model: $model) {\n      p50Ms\n      p95Ms\n    }\n  }\n}": typeof types.SampleRequestsWithPredictionsDocument,
};
const documents: Documents = {
    "query IssueExample($quiet: LatencyFeaturesInput!, $busy: LatencyFeaturesInput!) {\n  sampleRequests(first: 200) {\n    id\n    predictedLatency {\n      p50Ms\n      p95Ms\n    }\n  }\n  quiet: predictLatency(input: $quiet) {\n    p50Ms\n    p95Ms\n  }\n  busy: predictLatency(input: $busy) {\n    p50Ms\n    p95Ms\n    model {\n      name\n    }\n  }\n}": types.IssueExampleDocument,
    "query Models {\n  models {\n    name\n    task\n    version\n    kind\n    inputs {\n      name\n      type\n      min\n      max\n      maxExclusive\n      values\n      length\n      optional\n      unit\n    }\n    outputs {\n      name\n      kind\n      labels\n      unit\n    }\n    inputTensors {\n      name\n      dtype\n      shape\n    }\n    executionProvider\n    warmedUp\n  }\n}": types.ModelsDocument,
    "query PredictMany($inputs: [LatencyFeaturesInput!]!, $model: String) {\n  predictLatencies(inputs: $inputs, model: $model) {\n    p50Ms\n    p95Ms\n  }\n}": types.PredictManyDocument,
    "query PredictOne($input: LatencyFeaturesInput!, $model: String) {\n  predictLatency(input: $input, model: $model) {\n    p50Ms\n    p95Ms\n    model {\n      name\n      version\n    }\n  }\n}": types.PredictOneDocument,
    "query SampleRequestsPlain($first: Int, $offset: Int) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    features {\n      payloadKb\n      concurrency\n      cpuUtilization\n      memoryUtilization\n      cacheHitRatio\n      dbQueries\n      downstreamCalls\n      hourOfDay\n    }\n  }\n}": types.SampleRequestsPlainDocument,
    "query SampleRequestsWithPredictions($first: Int, $offset: Int, $model: String) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    predictedLatency(model: $model) {\n      p50Ms\n      p95Ms\n    }\n  }\n}": types.SampleRequestsWithPredictionsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query IssueExample($quiet: LatencyFeaturesInput!, $busy: LatencyFeaturesInput!) {\n  sampleRequests(first: 200) {\n    id\n    predictedLatency {\n      p50Ms\n      p95Ms\n    }\n  }\n  quiet: predictLatency(input: $quiet) {\n    p50Ms\n    p95Ms\n  }\n  busy: predictLatency(input: $busy) {\n    p50Ms\n    p95Ms\n    model {\n      name\n    }\n  }\n}"): (typeof documents)["query IssueExample($quiet: LatencyFeaturesInput!, $busy: LatencyFeaturesInput!) {\n  sampleRequests(first: 200) {\n    id\n    predictedLatency {\n      p50Ms\n      p95Ms\n    }\n  }\n  quiet: predictLatency(input: $quiet) {\n    p50Ms\n    p95Ms\n  }\n  busy: predictLatency(input: $busy) {\n    p50Ms\n    p95Ms\n    model {\n      name\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Models {\n  models {\n    name\n    task\n    version\n    kind\n    inputs {\n      name\n      type\n      min\n      max\n      maxExclusive\n      values\n      length\n      optional\n      unit\n    }\n    outputs {\n      name\n      kind\n      labels\n      unit\n    }\n    inputTensors {\n      name\n      dtype\n      shape\n    }\n    executionProvider\n    warmedUp\n  }\n}"): (typeof documents)["query Models {\n  models {\n    name\n    task\n    version\n    kind\n    inputs {\n      name\n      type\n      min\n      max\n      maxExclusive\n      values\n      length\n      optional\n      unit\n    }\n    outputs {\n      name\n      kind\n      labels\n      unit\n    }\n    inputTensors {\n      name\n      dtype\n      shape\n    }\n    executionProvider\n    warmedUp\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PredictMany($inputs: [LatencyFeaturesInput!]!, $model: String) {\n  predictLatencies(inputs: $inputs, model: $model) {\n    p50Ms\n    p95Ms\n  }\n}"): (typeof documents)["query PredictMany($inputs: [LatencyFeaturesInput!]!, $model: String) {\n  predictLatencies(inputs: $inputs, model: $model) {\n    p50Ms\n    p95Ms\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PredictOne($input: LatencyFeaturesInput!, $model: String) {\n  predictLatency(input: $input, model: $model) {\n    p50Ms\n    p95Ms\n    model {\n      name\n      version\n    }\n  }\n}"): (typeof documents)["query PredictOne($input: LatencyFeaturesInput!, $model: String) {\n  predictLatency(input: $input, model: $model) {\n    p50Ms\n    p95Ms\n    model {\n      name\n      version\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SampleRequestsPlain($first: Int, $offset: Int) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    features {\n      payloadKb\n      concurrency\n      cpuUtilization\n      memoryUtilization\n      cacheHitRatio\n      dbQueries\n      downstreamCalls\n      hourOfDay\n    }\n  }\n}"): (typeof documents)["query SampleRequestsPlain($first: Int, $offset: Int) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    features {\n      payloadKb\n      concurrency\n      cpuUtilization\n      memoryUtilization\n      cacheHitRatio\n      dbQueries\n      downstreamCalls\n      hourOfDay\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SampleRequestsWithPredictions($first: Int, $offset: Int, $model: String) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    predictedLatency(model: $model) {\n      p50Ms\n      p95Ms\n    }\n  }\n}"): (typeof documents)["query SampleRequestsWithPredictions($first: Int, $offset: Int, $model: String) {\n  sampleRequests(first: $first, offset: $offset) {\n    id\n    predictedLatency(model: $model) {\n      p50Ms\n      p95Ms\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;