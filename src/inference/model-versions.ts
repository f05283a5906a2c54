/**
 * A model folder's versions, as Triton's model repository lays them out: either the model's files
 * sit in models/<name>/ itself (one version, number 1), or each version has a numbered folder
 * (models/<name>/1/, models/<name>/2/, …) and models/<name>/versions.json may say which are served
 * (schema/versions.schema.json: `latest` n, `all`, `specific`; default the latest one) and which
 * one a field without `version:` gets. Read at start and again on every reload, so a policy can
 * change while serving.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import versionsSchema from '../../schema/versions.schema.json' with { type: 'json' };
import { describeSchemaError, ManifestError, readJsonDocument } from './manifest.ts';

export type VersionPolicy = { policy: 'latest'; count: number } | { policy: 'all' } | { policy: 'specific'; versions: number[] };

export interface VersionFolder {
  version: number;
  /** The folder holding this version's manifest.json and model.onnx. */
  folder: string;
}

export interface ModelVersions {
  /** The model's folder, models/<name>/. */
  folder: string;
  policy: VersionPolicy;
  /** The versions to serve, lowest first. */
  served: VersionFolder[];
  /** The version a field without `version:` gets: versions.json's `default`, else the highest served. */
  defaultVersion: number;
}

export const VERSIONS_FILE = 'versions.json';
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validateVersions = ajv.compile(versionsSchema);

/** The versions of the model in `folder` to serve, by its policy; throws a ManifestError naming the file and the problem. */
export async function readModelVersions(folder: string): Promise<ModelVersions> {
  const entries = await listEntries(folder);
  const hasManifest = entries.some((e) => e.isFile() && e.name === 'manifest.json');
  const numbered = entries
    .filter((e) => e.isDirectory() && /^[1-9][0-9]*$/.test(e.name))
    .map((e) => ({ version: Number(e.name), folder: join(folder, e.name) }))
    .sort((a, b) => a.version - b.version);
  const file = join(folder, VERSIONS_FILE);
  const declared = await readPolicyFile(file);
  if (hasManifest) {
    if (numbered.length > 0)
      throw new ManifestError(
        folder,
        `holds both a manifest.json and version folders (${numbered.map((v) => v.version).join(', ')}): move the top-level files into a version folder`,
      );
    if (declared) throw new ManifestError(file, 'is only read beside numbered version folders (models/<name>/<version>/)');
    return { folder, policy: { policy: 'latest', count: 1 }, served: [{ version: 1, folder }], defaultVersion: 1 };
  }
  if (numbered.length === 0)
    throw new ManifestError(
      join(folder, 'manifest.json'),
      'cannot be read (there is none), and the folder has no numbered version folders either (models/<name>/<version>/manifest.json)',
    );
  const policy = declared?.policy ?? { policy: 'latest', count: 1 };
  const served = selectVersions(file, policy, numbered);
  const defaultVersion = declared?.defaultVersion ?? served[served.length - 1]!.version;
  if (!served.some((v) => v.version === defaultVersion))
    throw new ManifestError(
      file,
      `"default" is ${defaultVersion}, which the policy does not serve (served: ${served.map((v) => v.version).join(', ')})`,
    );
  return { folder, policy, served, defaultVersion };
}

// Private: the versions the policy picks from the folders there are; a specific version that has
// no folder is an error (an operator asked for it by number), never silently skipped.
function selectVersions(file: string, policy: VersionPolicy, folders: VersionFolder[]): VersionFolder[] {
  if (policy.policy === 'all') return folders;
  if (policy.policy === 'latest') return folders.slice(-policy.count);
  const missing = policy.versions.filter((v) => !folders.some((f) => f.version === v));
  if (missing.length > 0)
    throw new ManifestError(
      file,
      `names version(s) ${missing.join(', ')} with no folder (version folders: ${folders.map((f) => f.version).join(', ')})`,
    );
  return folders.filter((f) => policy.versions.includes(f.version));
}

async function readPolicyFile(file: string): Promise<{ policy: VersionPolicy; defaultVersion?: number } | undefined> {
  const absent = Symbol('absent');
  const raw = await readJsonDocument(file, { optional: absent });
  if (raw === absent) return undefined;
  if (!validateVersions(raw)) {
    const problems = (validateVersions.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => describeSchemaError(e, raw));
    throw new ManifestError(file, `does not match schema/versions.schema.json:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  const doc = raw as { policy: VersionPolicy['policy']; count?: number; versions?: number[]; default?: number };
  const policy: VersionPolicy =
    doc.policy === 'latest'
      ? { policy: 'latest', count: doc.count ?? 1 }
      : doc.policy === 'all'
        ? { policy: 'all' }
        : { policy: 'specific', versions: [...doc.versions!].sort((a, b) => a - b) };
  return { policy, ...(doc.default !== undefined ? { defaultVersion: doc.default } : {}) };
}

async function listEntries(folder: string): Promise<Dirent[]> {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new ManifestError(folder, `cannot be read as a model folder (${(error as Error).message})`);
  }
}
