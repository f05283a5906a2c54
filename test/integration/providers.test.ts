/**
 * Execution providers as a real process (no GPU in CI, so this is the fallback path): CUDA asked
 * for with a CPU fallback starts on CPU with exactly one warning and reports cpu in `models` and
 * in the trace; CUDA alone refuses to start, saying how to install it or allow the fallback.
 */
import { describe, expect, it } from 'vitest';
import { installedProviders } from '../../src/inference/execution/execution-providers.ts';
import { ALL_MODELS, MLP, sampleInputs } from '../support/models.ts';
import { exitWithin, freePort, startServerProcess, waitForOutput } from '../support/processes.ts';

// With the GPU build installed, CUDA may really work here: these tests are about its absence.
const cudaInstalled = installedProviders().has('cuda');

describe.skipIf(cudaInstalled)('execution providers without CUDA', () => {
  it('cuda,cpu: starts on cpu with one warning line; models and the trace say cpu', async () => {
    const port = await freePort();
    const server = startServerProcess({ PORT: String(port), HOST: '127.0.0.1', PREDICTQL_EXECUTION_PROVIDERS: 'cuda,cpu' });
    try {
      await waitForOutput(server, 'GraphiQL at');
      const warnings = server
        .output()
        .stderr.split('\n')
        .filter((line) => line.trim() !== '');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('predictql: warning: PREDICTQL_EXECUTION_PROVIDERS asks for cuda,cpu, but cuda is not usable');
      expect(warnings[0]).toContain('npm run gpu:install');
      expect(warnings[0]).toContain(`serving ${[...ALL_MODELS].sort().join(', ')} on cpu`);
      expect(server.output().stdout).toContain(`${MLP}@1.1.0 (cpu)`);

      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-predictql-trace': '1' },
        body: JSON.stringify({
          query: 'query($input: LatencyFeaturesInput!) { models { name executionProvider ready } predictLatency(input: $input) { p50Ms } }',
          variables: { input: sampleInputs(1)[0] },
        }),
      });
      const body = (await response.json()) as {
        data: { models: { executionProvider: string; ready: boolean }[] };
        extensions: { inference: { batches: { executionProvider: string }[] } };
      };
      expect(body.data.models.map((m) => m.executionProvider)).toEqual(ALL_MODELS.map(() => 'cpu'));
      expect(body.data.models.every((m) => m.ready)).toBe(true);
      expect(body.extensions.inference.batches.map((b) => b.executionProvider)).toEqual(['cpu']);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('cuda alone: refuses to start, naming the fix', async () => {
    const server = startServerProcess({ PORT: String(await freePort()), HOST: '127.0.0.1', PREDICTQL_EXECUTION_PROVIDERS: 'cuda' });
    const exited = await exitWithin(server, 20_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr.trim()).toBe(
      'predictql: cannot start: PREDICTQL_EXECUTION_PROVIDERS asks for cuda only, but this onnxruntime-node has no cuda provider: ' +
        'install the GPU build with `npm run gpu:install` (CUDA 12 and cuDNN on the host), ' +
        'or allow the CPU fallback with PREDICTQL_EXECUTION_PROVIDERS=cuda,cpu.',
    );
    expect(exited.stdout).not.toContain('GraphiQL at');
  });
});
