/**
 * Prints the schema to schema/schema.graphql (`npm run schema:print`); with --check, fails if the
 * committed file differs. The file is the subgraph SDL (what `_service { sdl }` answers: `@link`,
 * `@key`, ...) of the shipped models' tasks and entity bindings (schema/entity-bindings.json),
 * which is what a gateway composes. Reads only manifests and examples files (no onnxruntime), so
 * it is fast and side-effect free.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSubgraphSchema } from '@apollo/subgraph';
import { defaultEntityBindingsFile, readConfig } from '../src/config.ts';
import { readExampleSets } from '../src/examples/example-set.ts';
import { checkBindingsAgainstModels, readEntityBindings } from '../src/federation/entity-bindings.ts';
import { buildSchema } from '../src/graphql/schema.ts';
import { buildTasks } from '../src/graphql/tasks.ts';
import { type ModelManifest, readManifest } from '../src/inference/index.ts';
import { isMain, writeOrCheck } from './write-or-check.ts';

export const schemaFile = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));

/** The manifests of every model folder of `modelsDir` (as the registry finds them). */
export async function readManifests(modelsDir: string): Promise<ModelManifest[]> {
  const entries = await readdir(modelsDir, { withFileTypes: true });
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_')).map((e) => e.name);
  return Promise.all(folders.sort().map((name) => readManifest(join(modelsDir, name, 'manifest.json'))));
}

export async function printCurrentSchema(): Promise<string> {
  const config = readConfig({});
  const manifests = await readManifests(config.modelsDir);
  const tasks = buildTasks(manifests, await readExampleSets(config.modelsDir), config.defaultModels);
  const bindings = await readEntityBindings(defaultEntityBindingsFile);
  const byName = new Map(manifests.map((m) => [m.name, m]));
  checkBindingsAgainstModels(defaultEntityBindingsFile, bindings, (name) => byName.get(name), [...byName.keys()]);
  return `${printSubgraphSchema(buildSchema(tasks, bindings))}\n`;
}

if (isMain(import.meta.url)) await writeOrCheck(schemaFile, await printCurrentSchema(), 'npm run schema:print');
