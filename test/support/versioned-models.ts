/**
 * A models folder for model-control tests: one model, request-latency, laid out in version
 * folders (models/request-latency/<version>/), each version a copy of a shipped model of the
 * Latency task: `mlp` (models/request-latency) or `gbdt` (models/request-latency-gbdt, renamed),
 * so two versions answer differently; `broken` is a version whose model.onnx is not an ONNX file,
 * `other-api` one whose manifest renames an output (another GraphQL API).
 */
import { cp, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelsDir } from '../../src/config.ts';
import { GBDT, MLP } from './models.ts';

export type VersionSource = 'mlp' | 'gbdt' | 'broken' | 'other-api';

export interface VersionedModels {
  /** PREDICTQL_MODELS_DIR */
  dir: string;
  /** models/request-latency */
  model: string;
  add(version: number, source: VersionSource): Promise<void>;
  remove(version: number): Promise<void>;
  /** Writes versions.json (undefined removes it). */
  policy(document: Record<string, unknown> | undefined): Promise<void>;
  /** Touches a version's files (a retrained model copied over them, as poll sees it). */
  touch(version: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function versionedModels(versions: Record<number, VersionSource>, policy?: Record<string, unknown>): Promise<VersionedModels> {
  const dir = await mkdtemp(join(tmpdir(), 'predictql-versions-'));
  const model = join(dir, MLP);
  const folder = (version: number) => join(model, String(version));
  const self: VersionedModels = {
    dir,
    model,
    async add(version, source) {
      const target = folder(version);
      await cp(join(defaultModelsDir, source === 'gbdt' ? GBDT : MLP), target, { recursive: true });
      const manifestFile = join(target, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown> & { outputs: { name: string }[] };
      manifest.name = MLP;
      manifest.version = `${version}.0.0`;
      if (source === 'other-api') manifest.outputs[0]!.name = 'medianMs';
      await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
      if (source === 'broken') await writeFile(join(target, 'model.onnx'), 'not an onnx file');
    },
    async remove(version) {
      await rm(folder(version), { recursive: true, force: true });
    },
    async policy(document) {
      const file = join(model, 'versions.json');
      if (document === undefined) await rm(file, { force: true });
      else await writeFile(file, JSON.stringify(document));
    },
    async touch(version) {
      const when = new Date();
      for (const name of ['model.onnx', 'manifest.json']) await utimes(join(folder(version), name), when, when);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  // The task's examples too: an example's prediction can pick a version.
  await cp(join(defaultModelsDir, 'latency.examples.json'), join(dir, 'latency.examples.json'));
  for (const [version, source] of Object.entries(versions)) await self.add(Number(version), source);
  await self.policy(policy);
  return self;
}
