/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** One input of task Latency, in the units the models were trained on. Values out of range are rejected, never clamped. */
export type LatencyFeaturesInput = {
  /** Share of the request's database reads served from cache. Unit: fraction. Range: [0, 1]. */
  cacheHitRatio: number;
  /** Requests in flight on the serving instance, this one included. Unit: requests. Range: [1, 1024]. */
  concurrency: number;
  /** CPU utilisation of the instance, 0 = idle, 1 = saturated. Unit: fraction. Range: [0, 1]. */
  cpuUtilization: number;
  /** Database queries the request issues. Unit: count. Range: [0, 200]. */
  dbQueries: number;
  /** Calls to other services the request makes. Unit: count. Range: [0, 50]. */
  downstreamCalls: number;
  /** Local hour of day in [0, 24), may be fractional (23.99 is fine, 24 is not); traffic peaks around 14:00. Unit: h. Range: [0, 24). */
  hourOfDay: number;
  /** Memory utilisation of the instance; above 0.7 garbage-collection pauses grow. Unit: fraction. Range: [0, 1]. */
  memoryUtilization: number;
  /** Size of the request plus response body in KiB. Unit: KiB. Range: [0, 10240]. */
  payloadKb: number;
};

export type IssueExampleQueryVariables = Exact<{
  quiet: LatencyFeaturesInput;
  busy: LatencyFeaturesInput;
}>;


export type IssueExampleQuery = { sampleRequests: Array<{ id: string, predictedLatency: { p50Ms: number, p95Ms: number } | null }> | null, quiet: { p50Ms: number, p95Ms: number } | null, busy: { p50Ms: number, p95Ms: number, model: { name: string } } | null };

export type ModelsQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelsQuery = { models: Array<{ name: string, task: string, version: string, kind: string, executionProvider: string, warmedUp: boolean, inputs: Array<{ name: string, type: string, min: number | null, max: number | null, maxExclusive: boolean, values: Array<string> | null, length: number | null, optional: boolean, unit: string }>, outputs: Array<{ name: string, kind: string, labels: Array<string> | null, unit: string }>, inputTensors: Array<{ name: string, dtype: string, shape: Array<string> }> }> };

export type PredictManyQueryVariables = Exact<{
  inputs: Array<LatencyFeaturesInput> | LatencyFeaturesInput;
  model?: string | null | undefined;
}>;


export type PredictManyQuery = { predictLatencies: Array<{ p50Ms: number, p95Ms: number } | null> };

export type PredictOneQueryVariables = Exact<{
  input: LatencyFeaturesInput;
  model?: string | null | undefined;
}>;


export type PredictOneQuery = { predictLatency: { p50Ms: number, p95Ms: number, model: { name: string, version: string } } | null };

export type SampleRequestsPlainQueryVariables = Exact<{
  first?: number | null | undefined;
  offset?: number | null | undefined;
}>;


export type SampleRequestsPlainQuery = { sampleRequests: Array<{ id: string, features: { payloadKb: number, concurrency: number, cpuUtilization: number, memoryUtilization: number, cacheHitRatio: number, dbQueries: number, downstreamCalls: number, hourOfDay: number } }> | null };

export type SampleRequestsWithPredictionsQueryVariables = Exact<{
  first?: number | null | undefined;
  offset?: number | null | undefined;
  model?: string | null | undefined;
}>;


export type SampleRequestsWithPredictionsQuery = { sampleRequests: Array<{ id: string, predictedLatency: { p50Ms: number, p95Ms: number } | null }> | null };


export const IssueExampleDocument = {"__meta__":{"hash":"sha256:2462792aa673b90f454c8634a24f2d974b6b3448833a12d349a8ca2dd04f3bad"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"IssueExample"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"quiet"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LatencyFeaturesInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"busy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LatencyFeaturesInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sampleRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"200"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"predictedLatency"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"p50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"p95Ms"}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"quiet"},"name":{"kind":"Name","value":"predictLatency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"quiet"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"p50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"p95Ms"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"busy"},"name":{"kind":"Name","value":"predictLatency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"busy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"p50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"p95Ms"}},{"kind":"Field","name":{"kind":"Name","value":"model"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<IssueExampleQuery, IssueExampleQueryVariables>;
export const ModelsDocument = {"__meta__":{"hash":"sha256:44962a93dfa9a9d4416fff429f4195489620ef6d33614005b95452fd42bf09ab"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Models"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"models"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"task"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"inputs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"min"}},{"kind":"Field","name":{"kind":"Name","value":"max"}},{"kind":"Field","name":{"kind":"Name","value":"maxExclusive"}},{"kind":"Field","name":{"kind":"Name","value":"values"}},{"kind":"Field","name":{"kind":"Name","value":"length"}},{"kind":"Field","name":{"kind":"Name","value":"optional"}},{"kind":"Field","name":{"kind":"Name","value":"unit"}}]}},{"kind":"Field","name":{"kind":"Name","value":"outputs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"labels"}},{"kind":"Field","name":{"kind":"Name","value":"unit"}}]}},{"kind":"Field","name":{"kind":"Name","value":"inputTensors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"dtype"}},{"kind":"Field","name":{"kind":"Name","value":"shape"}}]}},{"kind":"Field","name":{"kind":"Name","value":"executionProvider"}},{"kind":"Field","name":{"kind":"Name","value":"warmedUp"}}]}}]}}]} as unknown as DocumentNode<ModelsQuery, ModelsQueryVariables>;
export const PredictManyDocument = {"__meta__":{"hash":"sha256:4f75a8e00806c25a778b3e431e02767d0d3186091678fcc3c46134d110345f17"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PredictMany"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LatencyFeaturesInput"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"predictLatencies"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"inputs"},"value":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}}},{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"p50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"p95Ms"}}]}}]}}]} as unknown as DocumentNode<PredictManyQuery, PredictManyQueryVariables>;
export const PredictOneDocument = {"__meta__":{"hash":"sha256:97e8e12957b6034f0b30f7a2e232d3e71fdf3135d7439bcde8a9e3314da7553b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PredictOne"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LatencyFeaturesInput"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"predictLatency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}},{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"p50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"p95Ms"}},{"kind":"Field","name":{"kind":"Name","value":"model"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}}]} as unknown as DocumentNode<PredictOneQuery, PredictOneQueryVariables>;
export const SampleRequestsPlainDocument = {"__meta__":{"hash":"sha256:ec2e7d7bf21ca099ad90ea1197aa204fab3a68a8222e776275b85dc6030dd8c9"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SampleRequestsPlain"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"offset"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sampleRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"offset"},"value":{"kind":"Variable","name":{"kind":"Name","value":"offset"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"features"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"payloadKb"}},{"kind":"Field","name":{"kind":"Name","value":"concurrency"}},{"kind":"Field","name":{"kind":"Name","value":"cpuUtilization"}},{"kind":"Field","name":{"kind":"Name","value":"memoryUtilization"}},{"kind":"Field","name":{"kind":"Name","value":"cacheHitRatio"}},{"kind":"Field","name":{"kind":"Name","value":"dbQueries"}},{"kind":"Field","name":{"kind":"Name","value":"downstreamCalls"}},{"kind":"Field","name":{"kind":"Name","value":"hourOfDay"}}]}}]}}]}}]} as unknown as DocumentNode<SampleRequestsPlainQuery, SampleRequestsPlainQueryVariables>;
export const SampleRequestsWithPredictionsDocument = {"__meta__":{"hash":"sha256:a0382f21052b1717e9a11c1210e46a04ad156feaf5fc22aad6b23c71a3e18c0f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SampleRequestsWithPredictions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"offset"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sampleRequests"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"offset"},"value":{"kind":"Variable","name":{"kind":"Name","value":"offset"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"predictedLatency"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"p50Ms"}},{"kind":"Field","name":{"kind":"Name","value":"p95Ms"}}]}}]}}]}}]} as unknown as DocumentNode<SampleRequestsWithPredictionsQuery, SampleRequestsWithPredictionsQueryVariables>;