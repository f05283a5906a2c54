/**
 * "Serve your own model" as the README tells it: `npm run model:add` on an ONNX file the project
 * never saw (two inputs, float32 [b,3] and int64 [b,1]), into an empty models folder, then the real
 * server on that folder. The new task answers through GraphQL with the values the fixture's
 * generator computed, with no code and no manifest edit.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBinary, repoRoot } from '../support/node.ts';
import { freePort, type Server, startServerProcess, waitForOutput } from '../support/processes.ts';

const run = promisify(execFile);
const fixture = join(repoRoot, 'test', 'fixtures', 'two-inputs');
const dirs: string[] = [];
let server: Server | undefined;

afterAll(async () => {
  await server?.stop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Case {
  x: [number, number, number];
  bucket: number;
  y: number;
}

describe('npm run model:add, then serve', () => {
  it('a new ONNX model becomes predictTwoInputs and predictTwoInputsList with the generator’s values', async () => {
    const modelsDir = await mkdtemp(join(tmpdir(), 'predictql-model-add-'));
    dirs.push(modelsDir);
    const added = await run(nodeBinary, ['scripts/model-add.ts', join(fixture, 'model.onnx'), '--models-dir', modelsDir], {
      cwd: repoRoot,
    });
    expect(added.stdout).toContain(`added ${join(modelsDir, 'two-inputs', 'model.onnx')}`);
    expect(added.stdout).toContain('predictTwoInputs(input: TwoInputsInput!), predictTwoInputsList(inputs: [...])');

    // Adding it twice is refused, naming the folder.
    const again = await run(nodeBinary, ['scripts/model-add.ts', join(fixture, 'model.onnx'), '--models-dir', modelsDir], {
      cwd: repoRoot,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining(`${join(modelsDir, 'two-inputs')} exists already`) });

    const port = await freePort();
    server = startServerProcess({ PREDICTQL_MODELS_DIR: modelsDir, PORT: String(port), HOST: '127.0.0.1' });
    await waitForOutput(server, 'GraphiQL at', 30_000);

    const { cases } = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as { cases: Case[] };
    const inputs = cases.map(({ x, bucket }) => ({ x0: x[0], x1: x[1], x2: x[2], bucket }));
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-predictql-trace': '1' },
      body: JSON.stringify({
        query:
          'query ($inputs: [TwoInputsInput!]!, $one: TwoInputsInput!) { predictTwoInputsList(inputs: $inputs) { y } one: predictTwoInputs(input: $one) { y model { name task } } }',
        variables: { inputs, one: inputs[3] },
      }),
    });
    const body = (await response.json()) as {
      data: { predictTwoInputsList: { y: number }[]; one: { y: number; model: { name: string; task: string } } };
      errors?: unknown;
      extensions: { inference: { batches: { model: string; size: number }[] } };
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.predictTwoInputsList.map((p) => p.y)).toEqual(cases.map((c) => c.y));
    expect(body.data.one).toEqual({ y: cases[3]!.y, model: { name: 'two-inputs', task: 'TwoInputs' } });
    // The single field is the same input as list item 3: one run of the distinct rows.
    expect(body.extensions.inference.batches).toEqual([expect.objectContaining({ model: 'two-inputs', size: cases.length })]);
  });
});
