/**
 * The server refuses to start on a broken model folder, naming the file and the problem, both
 * through `loadServices` and as a real process (non-zero exit, message on stderr). And the real
 * process does start, serve and stop cleanly on good models.
 */

import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServices } from '../../src/app.ts';
import { defaultModelsDir, readConfig } from '../../src/config.ts';
import { ALL_MODELS, GBDT, MLP, sampleInputs } from '../support/models.ts';
import { repoRoot } from '../support/node.ts';
import { exitWithin, freePort, startServerProcess, waitForOutput } from '../support/processes.ts';

const execFileAsync = promisify(execFile);

const made: string[] = [];

afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh models folder holding copies of `models` (and the examples of their tasks). */
async function modelsCopy(models: readonly string[] = [MLP]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'predictql-models-'));
  made.push(dir);
  for (const model of models) await cp(join(defaultModelsDir, model), join(dir, model), { recursive: true });
  if (models.some((m) => m.startsWith('request-latency')))
    await cp(join(defaultModelsDir, 'latency.examples.json'), join(dir, 'latency.examples.json'));
  return dir;
}

async function editManifest(file: string, edit: (manifest: Record<string, unknown>) => void): Promise<void> {
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest, null, 2));
}

const load = (modelsDir: string) => loadServices(readConfig({ PREDICTQL_MODELS_DIR: modelsDir }), () => {});

/** The message `loadServices` rejects with. */
async function refusal(modelsDir: string): Promise<string> {
  const error = await load(modelsDir).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error(`loadServices(${modelsDir}) did not reject`);
  return error.message;
}

describe('loadServices refuses broken model folders', () => {
  it('a copied folder that is intact loads (the copies below fail for their edit alone)', async () => {
    const dir = await modelsCopy([MLP, GBDT]);
    const services = await load(dir);
    expect(services.registry.names.sort()).toEqual([MLP, GBDT].sort());
    await services.inference.close();
  });

  it('a corrupt model.onnx: rejects naming that model.onnx', async () => {
    const dir = await modelsCopy();
    const modelFile = join(dir, MLP, 'model.onnx');
    await writeFile(modelFile, Buffer.from('this is not an onnx protobuf \u0000\u0001\u0002 garbage'.repeat(20)));
    const message = await refusal(dir);
    expect(message).toContain(modelFile);
    expect(message).toMatch(/could not load|cpu:/);
  });

  it('one corrupt model among good ones: the whole load is refused, naming the broken one', async () => {
    const dir = await modelsCopy([MLP, GBDT]);
    const modelFile = join(dir, GBDT, 'model.onnx');
    await writeFile(modelFile, Buffer.alloc(4096, 0xab));
    const message = await refusal(dir);
    expect(message).toContain(modelFile);
    expect(message).not.toContain(join(dir, MLP, 'model.onnx'));
  });

  it('a manifest with fewer features than the model reads: rejects naming the file and the column left unfed', async () => {
    const dir = await modelsCopy();
    await editManifest(join(dir, MLP, 'manifest.json'), (m) => (m.features as unknown[]).pop());
    expect(await refusal(dir)).toBe(
      `${join(dir, MLP, 'manifest.json')}: does not fit model.onnx: no feature feeds column 7 of input "features" (float32, width 8): add features for them`,
    );
  });

  it('a manifest with more features than the model reads: rejects the same way', async () => {
    const dir = await modelsCopy();
    await editManifest(join(dir, MLP, 'manifest.json'), (m) =>
      (m.features as unknown[]).push({ name: 'extra', unit: 'u', min: 0, max: 1, description: '' }),
    );
    expect(await refusal(dir)).toBe(
      `${join(dir, MLP, 'manifest.json')}: does not fit model.onnx: feature "extra" takes columns 8..8 of input "features", which has 8`,
    );
  });

  it('a manifest with a wrong output count or input name: rejects naming the mismatch', async () => {
    const outputs = await modelsCopy();
    await editManifest(join(outputs, MLP, 'manifest.json'), (m) =>
      (m.outputs as unknown[]).push({ name: 'p99Ms', unit: 'ms', description: '' }),
    );
    expect(await refusal(outputs)).toContain(
      'does not fit model.onnx: output "p99Ms" reads columns 2..2 of output "latency_ms", which has 2',
    );

    const input = await modelsCopy();
    await editManifest(join(input, MLP, 'manifest.json'), (m) => ((m.tensors as { inputs: { name: string }[] }).inputs[0]!.name = 'x'));
    expect(await refusal(input)).toContain('does not fit model.onnx: the manifest declares input "x", model.onnx has inputs "features"');

    const dtype = await modelsCopy();
    await editManifest(
      join(dtype, MLP, 'manifest.json'),
      (m) => ((m.tensors as { inputs: { dtype: string }[] }).inputs[0]!.dtype = 'float64'),
    );
    expect(await refusal(dtype)).toContain('the manifest says input "features" is float64 [batch, 8], model.onnx has float32 [batch, 8]');
  });

  it('a missing manifest.json: rejects naming manifest.json', async () => {
    const dir = await modelsCopy();
    await rm(join(dir, MLP, 'manifest.json'));
    const message = await refusal(dir);
    expect(message).toContain(join(dir, MLP, 'manifest.json'));
    expect(message).toContain('cannot be read');
  });

  it('a manifest that is not JSON, or names another folder: rejects naming manifest.json', async () => {
    const broken = await modelsCopy();
    await writeFile(join(broken, MLP, 'manifest.json'), '{ "name": ');
    expect(await refusal(broken)).toMatch(new RegExp(`${escapeRegExp(join(broken, MLP, 'manifest.json'))}: is not valid JSON`));

    const renamed = await modelsCopy();
    await editManifest(join(renamed, MLP, 'manifest.json'), (m) => (m.name = 'other'));
    const message = await refusal(renamed);
    expect(message).toContain(join(renamed, MLP, 'manifest.json'));
    expect(message).toContain('"other"');
  });

  it('a models folder without models, examples of a task no model serves, or an unknown default model: rejects saying so', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'predictql-empty-'));
    made.push(empty);
    expect(await refusal(empty)).toContain('holds no model folder');

    const orphan = await modelsCopy([GBDT]);
    await cp(join(defaultModelsDir, 'churn.examples.json'), join(orphan, 'churn.examples.json'));
    expect(await refusal(orphan)).toBe(`${join(orphan, 'churn.examples.json')}: its task "Churn" has no model (tasks: Latency)`);

    const onlyGbdt = await modelsCopy([GBDT]);
    await expect(loadServices(readConfig({ PREDICTQL_MODELS_DIR: onlyGbdt, PREDICTQL_DEFAULT_MODEL: MLP }), () => {})).rejects.toThrow(
      `PREDICTQL_DEFAULT_MODEL names a model that is not loaded (loaded: ${GBDT}), but got: "${MLP}"`,
    );

    await mkdir(join(empty, MLP));
    expect(await refusal(empty)).toContain(join(empty, MLP, 'manifest.json'));
  });

  it('a model folder alone, with no examples file: serves its task without an examples list', async () => {
    const dir = await modelsCopy([GBDT]);
    await rm(join(dir, 'latency.examples.json'));
    const services = await load(dir);
    try {
      expect(services.tasks.map((t) => [t.name, t.defaultModel, t.examples])).toEqual([['Latency', GBDT, undefined]]);
    } finally {
      await services.inference.close();
    }
  });
});

describe('per-model settings', () => {
  it('refuse a model name that is not loaded (a typo), naming the loaded ones', async () => {
    const config = readConfig({ PREDICTQL_EXECUTOR: 'request-latncy=worker' });
    await expect(loadServices(config, () => {})).rejects.toThrow(
      `PREDICTQL_EXECUTOR names a model that is not loaded (loaded: ${ALL_MODELS.join(', ')}), but got: "request-latncy"`,
    );
  });
});

describe('--help', () => {
  it('works as it prints itself: `npm start -- --help` and the pinned-Node command it names', async () => {
    const viaNpm = await execFileAsync('npm', ['start', '--silent', '--', '--help'], { cwd: repoRoot });
    expect(viaNpm.stdout).toContain('Usage: npm start -- [options]');
    const usage = /\(or: (\S+) (\S+) \[options\]/.exec(viaNpm.stdout);
    expect(usage, viaNpm.stdout).not.toBeNull();
    const [, binary, script] = usage!;
    const direct = await execFileAsync(join(repoRoot, binary!), [join(repoRoot, script!), '--help'], { cwd: repoRoot });
    expect(direct.stdout).toBe(viaNpm.stdout);
  });
});

describe('the server process', () => {
  it('exits 1 with the broken model.onnx named on stderr, having served nothing but health while loading', async () => {
    const dir = await modelsCopy();
    const modelFile = join(dir, MLP, 'model.onnx');
    await writeFile(modelFile, Buffer.from('garbage'));
    const port = await freePort();
    const server = startServerProcess({ PREDICTQL_MODELS_DIR: dir, PORT: String(port), HOST: '127.0.0.1' });
    const exited = await exitWithin(server, 20_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toContain('predictql: cannot start:');
    expect(exited.stderr).toContain(modelFile);
    // It listens before loading (so /health answers a slow start), but never gets to serve the API.
    expect(exited.stdout).toMatch(
      new RegExp(`predictql: listening on 127\\.0\\.0\\.1:${port}( with \\d+ GraphQL threads)?, loading models`),
    );
    expect(exited.stdout).not.toContain('GraphiQL at');
  });

  it('exits non-zero naming manifest.json when it is missing', async () => {
    const dir = await modelsCopy();
    await rm(join(dir, MLP, 'manifest.json'));
    const server = startServerProcess({ PREDICTQL_MODELS_DIR: dir, PORT: String(await freePort()), HOST: '127.0.0.1' });
    const exited = await exitWithin(server, 20_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toContain(join(dir, MLP, 'manifest.json'));
  });

  it('exits non-zero on a bad configuration value, echoing it', async () => {
    const server = startServerProcess({ PORT: '70000', HOST: '127.0.0.1' });
    const exited = await exitWithin(server, 20_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toContain('PORT must be an integer within [0, 65535], but got: "70000"');
  });

  it('starts on good models, answers over HTTP in one run, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const server = startServerProcess({ PORT: String(port), HOST: '127.0.0.1' });
    try {
      await waitForOutput(server, 'GraphiQL at');
      expect(server.output().stdout).toContain(`${MLP}@1.1.0 (cpu)`);
      const inputs = sampleInputs(30);
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-predictql-trace': '1' },
        body: JSON.stringify({
          query: 'query($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms } }',
          variables: { inputs },
        }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        data: { predictLatencies: unknown[] };
        extensions: { inference: { batches: { size: number }[] } };
      };
      expect(body.data.predictLatencies).toHaveLength(30);
      expect(body.extensions.inference.batches.map((b) => b.size)).toEqual([30]);
    } finally {
      const exited = await server.stop();
      expect(exited.code).toBe(0);
      expect(exited.stdout).toContain('SIGTERM, closing');
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
