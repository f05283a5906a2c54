/**
 * A model folder's versions and policy (model-versions.ts), and the registry's snapshots and
 * holds (registry.ts) that let a reload retire a version only after the requests that read it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry, readModelVersions } from '../../src/inference/index.ts';
import { FakeModel } from './fake-model.ts';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'predictql-model-'));
});
afterEach(() => rm(folder, { recursive: true, force: true }));

const versions = async (...numbers: number[]) => {
  for (const n of numbers) {
    await mkdir(join(folder, String(n)));
    await writeFile(join(folder, String(n), 'manifest.json'), '{}');
  }
};
const policy = (document: unknown) => writeFile(join(folder, 'versions.json'), JSON.stringify(document));
const served = async () => {
  const v = await readModelVersions(folder);
  return { served: v.served.map((f) => f.version), defaultVersion: v.defaultVersion };
};

describe('readModelVersions', () => {
  it('reads a folder without version folders as version 1', async () => {
    await writeFile(join(folder, 'manifest.json'), '{}');
    expect(await served()).toEqual({ served: [1], defaultVersion: 1 });
  });

  it('serves the latest version by default, the latest n, all, or those named, in number order', async () => {
    await versions(1, 2, 10);
    await mkdir(join(folder, '1_Pooling'));
    expect(await served()).toEqual({ served: [10], defaultVersion: 10 });
    await policy({ policy: 'latest', count: 2 });
    expect(await served()).toEqual({ served: [2, 10], defaultVersion: 10 });
    await policy({ policy: 'all', default: 1 });
    expect(await served()).toEqual({ served: [1, 2, 10], defaultVersion: 1 });
    await policy({ policy: 'specific', versions: [10, 1] });
    expect(await served()).toEqual({ served: [1, 10], defaultVersion: 10 });
  });

  it('refuses what it cannot serve as written, naming the file and the problem', async () => {
    await versions(1, 2);
    await policy({ policy: 'specific', versions: [3] });
    await expect(readModelVersions(folder)).rejects.toThrow(
      /versions\.json: names version\(s\) 3 with no folder \(version folders: 1, 2\)/,
    );
    await policy({ policy: 'latest', default: 1 });
    await expect(readModelVersions(folder)).rejects.toThrow(/"default" is 1, which the policy does not serve \(served: 2\)/);
    await policy({ policy: 'latest', versions: [1] });
    await expect(readModelVersions(folder)).rejects.toThrow(/does not match schema\/versions\.schema\.json/);
    await policy({ policy: 'newest' });
    await expect(readModelVersions(folder)).rejects.toThrow(
      /\/policy must be equal to one of the allowed values \("latest", "all", "specific"\)/,
    );
    await rm(join(folder, 'versions.json'));
    await writeFile(join(folder, 'manifest.json'), '{}');
    await expect(readModelVersions(folder)).rejects.toThrow(/holds both a manifest\.json and version folders \(1, 2\)/);
  });
});

describe('ModelRegistry versions and snapshots', () => {
  it('gives the default version (the highest unless named) and any served one by number', () => {
    const [v1, v2] = [new FakeModel('m', 2, 1), new FakeModel('m', 2, 2)];
    expect(new ModelRegistry([v2, v1]).get('m')).toBe(v2);
    const registry = new ModelRegistry([v1, v2], new Map([['m', 1]]));
    expect(registry.get('m')).toBe(v1);
    expect(registry.get('m', 2)).toBe(v2);
    expect(registry.get('m', 3)).toBeUndefined();
    expect(registry.versions('m')).toEqual([1, 2]);
    expect(registry.list()).toEqual([v1]);
    expect(registry.all()).toEqual([v1, v2]);
    expect(() => new ModelRegistry([v1, new FakeModel('m', 2, 1)])).toThrow(/Two models are named "m" in version 1/);
  });

  it('keeps a held snapshot as it was across a publish, and says when its last request let go', async () => {
    const [v1, v2] = [new FakeModel('m', 2, 1), new FakeModel('m', 2, 2)];
    const registry = new ModelRegistry([v1]);
    const a = registry.hold();
    const b = registry.hold();
    const previous = registry.publish([v2]);
    expect(previous).toBe(a);
    expect(a.get('m')).toBe(v1);
    expect(registry.get('m')).toBe(v2);
    expect(() => a.publish([v2])).toThrow(/cannot be published to/);
    let released = false;
    const waiting = previous.released(60_000).then((done) => {
      released = done;
    });
    a.release();
    await Promise.resolve();
    expect(released).toBe(false);
    b.release();
    await waiting;
    expect(released).toBe(true);
    expect(await registry.hold().released(1)).toBe(false);
  });
});
