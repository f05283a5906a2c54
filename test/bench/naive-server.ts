/**
 * The honest baseline: the GraphQL server a user writes without predictql. Same API shape for the
 * bench's queries (sampleRequests { predictedLatency }, predictLatency(input)), on graphql-yoga,
 * with each prediction resolver calling onnxruntime's `session.run` for its own row. No loader,
 * no scheduler, no batching. Counts its runs so the bench can check it made one per field.
 */
import { createSchema, createYoga } from 'graphql-yoga';
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { ModelManifest } from '../../src/inference/index.ts';

export interface NaiveSample {
  id: string;
  features: Readonly<Record<string, number>>;
}

export function naiveServer(session: InferenceSession, manifest: ModelManifest, samples: readonly NaiveSample[]) {
  const counter = { runs: 0 };
  const features = manifest.features.map((f) => f.name);
  const outputs = manifest.outputs.map((o) => o.name);
  const predict = async (values: Readonly<Record<string, number>>) => {
    counter.runs++;
    const row = Float32Array.from(features, (name) => values[name]!);
    // The latency models: one float32 [batch, 8] input, one float32 [batch, 2] output.
    const result = await session.run({ [manifest.tensors.inputs![0]!.name]: new Tensor('float32', row, [1, features.length]) });
    const data = result[manifest.tensors.outputs![0]!.name]!.data as Float32Array;
    return Object.fromEntries(outputs.map((name, i) => [name, data[i]]));
  };
  const typeDefs = /* GraphQL */ `
    type Query {
      sampleRequests(first: Int = 20): [SampleRequest!]!
      predictLatency(input: LatencyFeaturesInput!): LatencyPrediction
    }
    type SampleRequest { id: ID! features: LatencyFeatures! predictedLatency: LatencyPrediction }
    type LatencyFeatures { ${features.map((f) => `${f}: Float!`).join(' ')} }
    input LatencyFeaturesInput { ${features.map((f) => `${f}: Float!`).join(' ')} }
    type LatencyPrediction { ${outputs.map((o) => `${o}: Float!`).join(' ')} }
  `;
  const yoga = createYoga({
    schema: createSchema({
      typeDefs,
      resolvers: {
        Query: {
          sampleRequests: (_: unknown, { first }: { first: number }) => samples.slice(0, first),
          predictLatency: (_: unknown, { input }: { input: Record<string, number> }) => predict(input),
        },
        SampleRequest: { predictedLatency: (sample: NaiveSample) => predict(sample.features) },
      },
    }),
    graphiql: false,
    landingPage: false,
    logging: false,
  });
  return { yoga, counter };
}
