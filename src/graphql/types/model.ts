/** `Model`: what a loaded model takes and gives, and how it runs. */
import type { FeatureSpec, ModelRunner, OutputSpec } from '../../inference/index.ts';
import type { Builder } from '../builder.ts';

export function defineModelTypes(builder: Builder) {
  const ModelFeature = builder.objectRef<FeatureSpec>('ModelFeature').implement({
    description: 'One input feature, in the order the model reads them.',
    fields: (t) => ({
      name: t.exposeString('name'),
      unit: t.exposeString('unit'),
      min: t.exposeFloat('min', { description: 'Smallest accepted value (inclusive).' }),
      max: t.exposeFloat('max', { description: 'Largest accepted value (inclusive).' }),
      description: t.exposeString('description'),
    }),
  });

  const ModelOutput = builder.objectRef<OutputSpec>('ModelOutput').implement({
    description: 'One output of the model, in the order the model writes them.',
    fields: (t) => ({
      name: t.exposeString('name'),
      unit: t.exposeString('unit'),
      description: t.exposeString('description'),
    }),
  });

  return builder.objectRef<ModelRunner>('Model').implement({
    description: 'A model loaded from its folder under models/, checked against its manifest and warmed up.',
    fields: (t) => ({
      name: t.string({ resolve: (m) => m.manifest.name }),
      version: t.string({ resolve: (m) => m.manifest.version }),
      description: t.string({ resolve: (m) => m.manifest.description }),
      kind: t.string({ description: 'Model family, e.g. "mlp" or "gbdt".', resolve: (m) => m.manifest.kind }),
      framework: t.string({ description: 'What trained it.', resolve: (m) => m.manifest.framework }),
      inputs: t.field({ type: [ModelFeature], resolve: (m) => m.manifest.features }),
      outputs: t.field({ type: [ModelOutput], resolve: (m) => m.manifest.outputs }),
      executionProvider: t.string({
        description: 'The onnxruntime execution provider in use ("cpu" or "cuda").',
        resolve: (m) => m.executionProvider,
      }),
      warmedUp: t.boolean({ description: 'True once a warm-up run has succeeded.', resolve: (m) => m.warmedUp }),
      ready: t.boolean({
        description:
          'Loaded, warmed up and taking predictions; false once the server drains for shutdown. GET /ready ' +
          'is 200 when every model is ready.',
        resolve: (m, _args, context) => m.warmedUp && !context.lifecycle?.draining,
      }),
    }),
  });
}

export type ModelRef = ReturnType<typeof defineModelTypes>;
