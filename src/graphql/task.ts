/**
 * The prediction task the schema is built for, read from the default model's manifest: its
 * feature names become the input fields, its output names the prediction fields. Every other
 * model served beside it must agree, or the server refuses to start.
 */
import type { FeatureSpec, ModelManifest, OutputSpec } from '../inference/index.ts';

export interface PredictionTask {
  defaultModel: string;
  features: readonly FeatureSpec[];
  outputs: readonly OutputSpec[];
}

export function taskFromManifest(manifest: ModelManifest): PredictionTask {
  return { defaultModel: manifest.name, features: manifest.features, outputs: manifest.outputs };
}

/** Throws unless `manifest` takes the same features and gives the same outputs, in the same order. */
export function assertSameTask(task: PredictionTask, manifest: ModelManifest): void {
  const names = (specs: readonly { name: string }[]) => specs.map((s) => s.name).join(', ');
  for (const key of ['features', 'outputs'] as const) {
    if (names(task[key]) !== names(manifest[key])) {
      throw new Error(
        `Model "${manifest.name}" ${key} must be [${names(task[key])}] like the default model "${task.defaultModel}", ` +
          `but got: [${names(manifest[key])}]`,
      );
    }
  }
}
