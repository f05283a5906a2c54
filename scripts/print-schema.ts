/**
 * Prints the schema to schema/schema.graphql (`npm run schema:print`); with --check, fails if the
 * committed file differs. The file is the subgraph SDL (what `_service { sdl }` answers: `@link`,
 * `@key`, ...) for the shipped entity bindings (schema/entity-bindings.json), which is what a
 * gateway composes. Reads only model manifests (no onnxruntime), so it is fast and side-effect free.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSubgraphSchema } from '@apollo/subgraph';
import { defaultEntityBindingsFile, readConfig } from '../src/config.ts';
import { checkBindingsAgainstModels, readEntityBindings } from '../src/federation/entity-bindings.ts';
import { buildSchema } from '../src/graphql/schema.ts';
import { taskFromManifest } from '../src/graphql/task.ts';
import { type ModelManifest, readManifest } from '../src/inference/index.ts';
import { isMain, writeOrCheck } from './write-or-check.ts';

export const schemaFile = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));

export async function printCurrentSchema(): Promise<string> {
  const config = readConfig({});
  const manifest = await readManifest(join(config.modelsDir, config.defaultModel, 'manifest.json'));
  const bindings = await readEntityBindings(defaultEntityBindingsFile);
  const manifests = new Map<string, ModelManifest>([[manifest.name, manifest]]);
  for (const { model } of bindings) {
    if (!manifests.has(model)) {
      const bound = await readManifest(join(config.modelsDir, model, 'manifest.json')).catch(() => undefined);
      if (bound) manifests.set(model, bound);
    }
  }
  checkBindingsAgainstModels(defaultEntityBindingsFile, bindings, (name) => manifests.get(name), [...manifests.keys()]);
  return `${printSubgraphSchema(buildSchema(taskFromManifest(manifest), bindings))}\n`;
}

if (isMain(import.meta.url)) await writeOrCheck(schemaFile, await printCurrentSchema(), 'npm run schema:print');
