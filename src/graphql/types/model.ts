/** `Model`: what a loaded model takes and gives (its task's API and its ONNX tensors), and how it runs. */
import { type FeatureSpec, type ModelView, type OutputSpec, type TensorSpec, tensorSpecs } from '../../inference/index.ts';
import type { Builder } from '../builder.ts';

export function defineModelTypes(builder: Builder) {
  const ModelFeature = builder.objectRef<FeatureSpec>('ModelFeature').implement({
    description: "One input field of the model's task, and how this model reads it.",
    fields: (t) => ({
      name: t.exposeString('name'),
      type: t.exposeString('type', { description: 'float, int, bool, category, vector, string or tensor.' }),
      unit: t.exposeString('unit'),
      min: t.float({
        nullable: true,
        description: 'Smallest accepted value (inclusive); null when unbounded.',
        resolve: (f) => f.min ?? null,
      }),
      max: t.float({
        nullable: true,
        description: 'Largest accepted value (exclusive when maxExclusive); null when unbounded.',
        resolve: (f) => f.max ?? null,
      }),
      maxExclusive: t.boolean({ resolve: (f) => f.maxExclusive ?? false }),
      values: t.stringList({ nullable: true, description: "A category's values.", resolve: (f) => f.values ?? null }),
      length: t.int({ nullable: true, description: "A vector's length.", resolve: (f) => f.length ?? null }),
      shape: t.intList({ nullable: true, description: "A tensor's row axes (e.g. [24, 3]).", resolve: (f) => f.shape ?? null }),
      optional: t.boolean({ description: 'Has a default, used when the input leaves it out.', resolve: (f) => f.default !== undefined }),
      tensor: t.string({ description: 'The ONNX input it feeds.', resolve: (f) => f.tensor! }),
      description: t.exposeString('description'),
    }),
  });

  const ModelOutput = builder.objectRef<OutputSpec>('ModelOutput').implement({
    description: "One prediction field of the model's task, and which output tensor it reads.",
    fields: (t) => ({
      name: t.exposeString('name'),
      kind: t.exposeString('kind', { description: 'value, class, vector or tensor.' }),
      unit: t.exposeString('unit'),
      labels: t.stringList({ nullable: true, description: "A class output's classes.", resolve: (o) => o.labels ?? null }),
      tensor: t.string({ description: 'The ONNX output it reads.', resolve: (o) => o.tensor! }),
      description: t.exposeString('description'),
    }),
  });

  const ModelTensor = builder.objectRef<TensorSpec>('ModelTensor').implement({
    description: 'An ONNX input or output tensor of the model.',
    fields: (t) => ({
      name: t.exposeString('name'),
      dtype: t.exposeString('dtype'),
      shape: t.stringList({ description: 'The batch axis first, then the width if any.', resolve: (s) => s.shape.map(String) }),
    }),
  });

  return builder.objectRef<ModelView>('Model').implement({
    description: 'A model loaded from its folder under models/, checked against its manifest and its ONNX file, and warmed up.',
    fields: (t) => ({
      name: t.string({ resolve: (m) => m.manifest.name }),
      task: t.string({ description: 'The task it serves: the GraphQL API its predictions come through.', resolve: (m) => m.manifest.task }),
      version: t.string({ description: 'The manifest\'s version label (e.g. "1.2.0").', resolve: (m) => m.manifest.version }),
      versionNumber: t.int({
        description:
          'Which served version this is: its folder number (models/<name>/<version>/), 1 for a model without version folders. On a prediction, the version that answered it.',
        resolve: (m) => m.version,
      }),
      versions: t.intList({
        description: 'Every version of this model served now, lowest first (`version:` picks one).',
        resolve: (m, _args, context) => context.registry.versions(m.manifest.name),
      }),
      defaultVersion: t.int({
        description: 'The version a prediction field without `version:` gets.',
        resolve: (m, _args, context) => context.registry.get(m.manifest.name)?.version ?? m.version,
      }),
      description: t.string({ resolve: (m) => m.manifest.description }),
      kind: t.string({ description: 'Model family, e.g. "mlp" or "gbdt".', resolve: (m) => m.manifest.kind }),
      framework: t.string({ description: 'What trained it.', resolve: (m) => m.manifest.framework }),
      // From the layout, not the manifest: it knows the tensor of a field whose manifest leaves it implicit.
      inputs: t.field({
        type: [ModelFeature],
        resolve: ({ codec: { layout } }) => layout.features.map((s) => ({ ...s.spec, tensor: layout.inputs[s.tensor]!.name })),
      }),
      outputs: t.field({
        type: [ModelOutput],
        resolve: ({ codec: { layout } }) => layout.fields.map((s) => ({ ...s.spec, tensor: layout.outputs[s.tensor]!.name })),
      }),
      inputTensors: t.field({ type: [ModelTensor], resolve: (m) => tensorSpecs(m.codec.layout.inputs) }),
      outputTensors: t.field({
        type: [ModelTensor],
        description: 'The outputs its prediction fields read.',
        resolve: (m) => tensorSpecs(m.codec.layout.outputs),
      }),
      maxBatchRows: t.int({
        nullable: true,
        description:
          'The most rows this model takes in one run, when model.onnx fixes its batch axis (to 1: runs of one row, so a request asking for several rows of it costs several runs); null when the batch axis is dynamic (runs up to PREDICTQL_MAX_BATCH_SIZE rows).',
        resolve: (m) => m.codec.layout.maxBatchRows ?? null,
      }),
      executionProvider: t.string({
        description: 'The onnxruntime execution provider in use ("cpu" or "cuda").',
        resolve: (m) => m.executionProvider,
      }),
      warmedUp: t.boolean({ description: 'True once a warm-up run has succeeded.', resolve: (m) => m.warmedUp }),
      ready: t.boolean({
        description:
          'Loaded, warmed up and taking predictions; false once the server drains for shutdown. GET /ready is 200 when every model is ready.',
        resolve: (m, _args, context) => m.warmedUp && !context.lifecycle?.draining,
      }),
    }),
  });
}

export type ModelRef = ReturnType<typeof defineModelTypes>;
