/**
 * Prints the schema to schema/schema.graphql; with --check, fails if the committed file differs.
 * Reads only the default model's manifest (no onnxruntime), so it is fast and side-effect free.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { readConfig } from '../config.ts';
import { readManifest } from '../inference/manifest.ts';
import { buildSchema } from './schema.ts';
import { taskFromManifest } from './task.ts';

export const schemaFile = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));

export async function printCurrentSchema(): Promise<string> {
  const config = readConfig({});
  const manifest = await readManifest(join(config.modelsDir, config.defaultModel, 'manifest.json'));
  return `${printSchema(buildSchema(taskFromManifest(manifest)))}\n`;
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
