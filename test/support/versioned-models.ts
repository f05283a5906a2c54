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
import { afterAll, beforeAll } from 'vitest';
import { defaultModelsDir } from '../../src/config.ts';
import { GBDT, MLP } from './models.ts';
import { type ServedApp, serveRealApp } from './served-app.ts';

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

/** The server users run (src/server.ts), with one GraphQL thread and with the default GraphQL threads: model control needs the server, not only the app. */
export const controlModes: { name: string; env: Record<string, string> }[] = [
  { name: 'one GraphQL thread', env: { PREDICTQL_GRAPHQL_THREADS: '1' } },
  { name: 'GraphQL threads (the default)', env: {} },
];

/**
 * Before the suite's tests: a versioned models folder and the real server over it with `env`
 * (explicit model control and a free admin port unless `env` says otherwise); both released after.
 */
export function serveVersionedDuringSuite(
  versions: Record<number, VersionSource>,
  policy: Record<string, unknown> | undefined,
  env: Record<string, string>,
  started: (served: { models: VersionedModels; app: ServedApp }) => void,
): void {
  let models: VersionedModels | undefined;
  let app: ServedApp | undefined;
  beforeAll(async () => {
    models = await versionedModels(versions, policy);
    app = await serveRealApp({ PREDICTQL_MODEL_CONTROL: 'explicit', PREDICTQL_ADMIN_PORT: '0', ...env, PREDICTQL_MODELS_DIR: models.dir });
    started({ models, app });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await models?.cleanup();
  });
}

/** The Triton-style reload at the admin endpoint, as an operator sends it. */
export async function reloadModel(admin: string, model = MLP, headers: Record<string, string> = { 'x-predictql-admin': '1' }) {
  const response = await fetch(`${admin}/v2/repository/models/${model}/load`, { method: 'POST', headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
