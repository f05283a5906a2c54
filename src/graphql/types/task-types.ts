/**
 * The types of one task, from its manifests: the input (one field per feature, typed by its kind:
 * src/graphql/kinds/feature-fields.ts; optional when the feature has a default), the prediction
 * (the fields of each output, by its kind: src/graphql/kinds/output-fields.ts; and `model`), and,
 * when the task has examples, the example and its features. Prediction fields read the output row
 * with the codec of the model that made it, so models of one task may lay their tensors out
 * differently.
 */
import type { EnumRef, InputFieldRef } from '@pothos/core';
import type { Example } from '../../examples/example-set.ts';
import type { FeatureSpec, OutputSpec } from '../../inference/index.ts';
import type { Builder, BuilderTypes } from '../builder.ts';
import type { ClassProbability } from '../kinds/class-fields.ts';
import { featureFields } from '../kinds/feature-fields.ts';
import { outputFields } from '../kinds/output-fields.ts';
import type { Prediction } from '../predict.ts';
import type { TaskApi } from '../tasks.ts';
import type { ModelRef } from './model.ts';

type Types = PothosSchemaTypes.ExtendDefaultTypes<BuilderTypes>;
type AnyInputField = InputFieldRef<Types, unknown>;

export function defineTaskTypes(builder: Builder, task: TaskApi, Model: ModelRef) {
  const enums = new Map<string, EnumRef<Types, string, string>>();
  const enumFor = (name: string, values: readonly string[], descriptions: Record<string, string> | undefined, description: string) => {
    const typeName = task.names.enums.get(name)!;
    let ref = enums.get(typeName);
    if (!ref) {
      ref = builder.enumType(typeName, {
        description,
        values: Object.fromEntries(values.map((v) => [v, { value: v, description: descriptions?.[v] }])),
      }) as EnumRef<Types, string, string>;
      enums.set(typeName, ref);
    }
    return ref;
  };
  const categoryEnum = (f: FeatureSpec) => enumFor(f.name, f.values!, f.valueDescriptions, `The values of ${task.name} input ${f.name}.`);
  const labelEnum = (o: OutputSpec) =>
    enumFor(o.name, o.labels!, o.labelDescriptions, `The classes of ${task.name} output ${o.name}, in the models' column order.`);

  const Input = builder.inputType(task.names.input, {
    description: `One input of task ${task.name}, in the units the models were trained on. Values out of range are rejected, never clamped.`,
    fields: (t) => {
      const fields: Record<string, AnyInputField> = {};
      for (const f of task.features) {
        const options = {
          required: f.default === undefined,
          description: describeFeature(f),
          ...(f.default !== undefined ? { defaultValue: f.default } : {}),
        };
        fields[f.name] = featureFields[f.type].input(t, options, f, () => categoryEnum(f)) as AnyInputField;
      }
      return fields;
    },
  });

  const probabilityTypes = new Map<string, ReturnType<typeof defineProbability>>();
  const defineProbability = (o: OutputSpec) =>
    builder.objectRef<ClassProbability>(task.names.probabilities.get(o.name)!.type).implement({
      description: `One class of ${task.name} output ${o.name} and its probability.`,
      fields: (t) => ({
        label: t.field({ type: labelEnum(o), resolve: (p) => p.label }),
        probability: t.exposeFloat('probability'),
      }),
    });

  const probabilityType = (o: OutputSpec) => {
    let ref = probabilityTypes.get(o.name);
    if (!ref) {
      ref = defineProbability(o);
      probabilityTypes.set(o.name, ref);
    }
    return ref;
  };

  const Prediction = builder.objectRef<Prediction>(task.names.prediction).implement({
    description: `A prediction of task ${task.name}. Every prediction field of a request is computed in one batched model run per model.`,
    extensions: { predictqlPrediction: true },
    fields: (t) => {
      const fields: Record<string, unknown> = {};
      for (const o of task.outputs) outputFields[o.kind].add(fields, t, o, { task, labelEnum, probabilityType });
      fields.model = t.field({ type: Model, description: 'The model that made this prediction.', resolve: (p) => p.model });
      if (task.features.some((f) => f.type === 'text'))
        fields.truncated = t.boolean({
          description:
            "True when a text input was longer than its model's maxTokens and was cut to them (overflow: truncate): this prediction read only the text's first tokens.",
          resolve: (p) => (p.truncated?.length ?? 0) > 0,
        });
      return fields as never;
    },
  });

  let Example: ReturnType<typeof defineExample> | undefined;
  let Features: ReturnType<typeof defineFeatures> | undefined;
  const defineFeatures = (typeName: string) =>
    builder.objectRef<Readonly<Record<string, unknown>>>(typeName).implement({
      description: `The features of an example of task ${task.name}, as the models read them.`,
      fields: (t) => {
        const fields: Record<string, unknown> = {};
        for (const f of task.features) {
          const options = {
            description: describeFeature(f),
            resolve: (values: Readonly<Record<string, unknown>>) => values[f.name] ?? f.default,
          };
          fields[f.name] = featureFields[f.type].output(t, options, f, () => categoryEnum(f));
        }
        return fields as never;
      },
    });
  const defineExample = (names: NonNullable<TaskApi['names']['examples']>, predict: ExamplePredictor) =>
    builder.objectRef<Example>(names.type).implement({
      description: task.examples!.description || `An example input of task ${task.name}.`,
      fields: (t) => ({
        id: t.exposeID('id'),
        features: t.field({ type: Features!, resolve: (e) => e.features }),
        ...(task.examples!.examples.some((e) => e.note !== undefined)
          ? { note: t.string({ nullable: true, resolve: (e) => e.note ?? null }) }
          : {}),
        [names.prediction]: t.field({
          type: Prediction,
          nullable: true,
          tracing: true,
          description: `The prediction of this example. Null, with an error on this field only, if the model fails.`,
          args: {
            model: t.arg.string({ description: `Model name (see \`models\`); defaults to "${task.defaultModel}".` }),
            version: t.arg.int({
              description: "A version the model serves (see `Model.versions`); defaults to the model's default version.",
            }),
          },
          resolve: (example, args, context, info) => predict(example, args, context, info),
        }),
      }),
    });

  return {
    Input,
    Prediction,
    /** Defines the example types (once the predictor exists: it needs the loaders' priming). */
    defineExamples(predict: ExamplePredictor) {
      const names = task.names.examples;
      if (!names) return undefined;
      Features ??= defineFeatures(names.features);
      Example ??= defineExample(names, predict);
      return Example;
    },
  };
}

export type ExamplePredictor = (
  example: Example,
  choice: import('../predict.ts').ModelChoice,
  context: import('../context.ts').PredictQLContext,
  info: import('graphql').GraphQLResolveInfo,
) => Prediction | Promise<Prediction>;

export type TaskTypes = ReturnType<typeof defineTaskTypes>;

function describeFeature(f: FeatureSpec): string {
  const range =
    f.min !== undefined || f.max !== undefined ? ` Range: [${f.min ?? '-∞'}, ${f.max ?? '∞'}${f.maxExclusive ? ')' : ']'}.` : '';
  const length =
    f.type === 'vector'
      ? ` Exactly ${f.length} values${range ? ', each in range' : ''}.`
      : f.type === 'tensor'
        ? ` Nested lists of ${f.shape!.join(' × ')} values${range ? ', each in range' : ''}.`
        : '';
  return `${f.description}${f.unit ? ` Unit: ${f.unit}.` : ''}${length}${range}`.trim();
}
