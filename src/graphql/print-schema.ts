/**
 * Prints the schema to schema/schema.graphql; with --check, fails if the committed file differs.
 * The file is the subgraph SDL (what `_service { sdl }` answers: `@link`, `@key`, ...) for the
 * shipped entity bindings (schema/entity-bindings.json), which is what a gateway composes.
 * Reads only model manifests (no onnxruntime), so it is fast and side-effect free.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { printSubgraphSchema } from '@apollo/subgraph';
import { readConfig } from '../config.ts';
import { readManifest, type ModelManifest } from '../inference/manifest.ts';
import { checkBindingsAgainstModels, defaultEntityBindingsFile, readEntityBindings } from '../federation/entity-bindings.ts';
import { buildSchema } from './schema.ts';
import { taskFromManifest } from './task.ts';

export const schemaFile = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));

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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const printed = await printCurrentSchema();
  if (process.argv.includes('--check')) {
    const committed = await readFile(schemaFile, 'utf8').catch(() => '');
    if (committed !== printed) {
      console.error(`${schemaFile} is out of date with the code. Run \`npm run schema:print\` and commit the result.`);
      process.exit(1);
    }
    console.log(`${schemaFile} is up to date.`);
  } else {
    await writeFile(schemaFile, printed);
    console.log(`wrote ${schemaFile}`);
  }
}
