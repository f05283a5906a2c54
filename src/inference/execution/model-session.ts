/**
 * One loaded model: an onnxruntime session checked against its manifest and warmed up.
 * `run` takes a packed [rows, features] buffer and returns the packed [rows, outputs] buffer.
 */
import { dirname, join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ManifestError, type ModelManifest } from '../manifest.ts';
import { GPU_INSTALL_HINT, installedProviders } from './execution-providers.ts';
import type { WorkerSetup } from './inference-worker.ts';
import { type BatchSpec, runBatch } from './run-batch.ts';
import { type ExecutionProviderName, type SessionSettings, toOrtSessionOptions } from './session-options.ts';

/** What the registry and the scheduler need of a model; unit tests may fake it. */
export interface ModelRunner {
  readonly manifest: ModelManifest;
  readonly executionProvider: ExecutionProviderName;
  readonly warmedUp: boolean;
  /** Why earlier providers of the preference list could not be used (empty when the first one was). */
  readonly providerFailures?: readonly string[];
  run(packed: Float32Array, rows: number): Promise<Float32Array>;
  /** How a worker thread can load the same model; absent for runners that cannot leave this thread. */
  workerSetup?(): WorkerSetup;
}

export interface LoadModelOptions {
  settings: SessionSettings;
  /** Called once when a requested provider cannot be used and a later one is. */
  warn?: (message: string) => void;
}

export class ModelSession implements ModelRunner {
  readonly manifest: ModelManifest;
  readonly executionProvider: ExecutionProviderName;
  readonly modelFile: string;
  readonly providerFailures: readonly string[];
  readonly #sessionOptions: InferenceSession.SessionOptions;
  readonly #spec: BatchSpec;
  #session: InferenceSession;
  #warmedUp = false;

  private constructor(
    manifest: ModelManifest,
    modelFile: string,
    session: InferenceSession,
    provider: ExecutionProviderName,
    sessionOptions: InferenceSession.SessionOptions,
    providerFailures: readonly string[],
  ) {
    this.manifest = manifest;
    this.providerFailures = providerFailures;
    this.#sessionOptions = sessionOptions;
    this.modelFile = modelFile;
    this.#session = session;
    this.executionProvider = provider;
    this.#spec = {
      modelFile,
      inputName: manifest.input.name,
      outputName: manifest.output.name,
      width: manifest.features.length,
      outWidth: manifest.outputs.length,
    };
  }

  static async load(folder: string, manifest: ModelManifest, options: LoadModelOptions): Promise<ModelSession> {
    const modelFile = join(folder, 'model.onnx');
    const { session, provider, sessionOptions, failures } = await createSession(modelFile, options);
    checkSessionAgainstManifest(modelFile, session, manifest);
    const model = new ModelSession(manifest, modelFile, session, provider, sessionOptions, failures);
    await model.#warmUp();
    return model;
  }

  get warmedUp(): boolean {
    return this.#warmedUp;
  }

  run(packed: Float32Array, rows: number): Promise<Float32Array> {
    return runBatch(this.#session, this.#spec, packed, rows);
  }

  workerSetup(): WorkerSetup {
    return { ...this.#spec, sessionOptions: this.#sessionOptions };
  }

  async release(): Promise<void> {
    await this.#session.release();
  }

  // Private: the first run pays for allocator and kernel set-up; pay it before serving, and prove
  // the model answers with finite numbers of the promised shape at both ends of every range.
  async #warmUp(): Promise<void> {
    const { features, outputs } = this.manifest;
    const rows = [features.map((f) => f.min), features.map((f) => f.max), features.map((f) => (f.min + f.max) / 2)];
    const packed = Float32Array.from(rows.flat());
    const out = await this.run(packed, rows.length);
    if (out.length !== rows.length * outputs.length || !out.every(Number.isFinite)) {
      throw new ManifestError(
        this.modelFile,
        `warm-up run returned ${out.length} values (expected ${rows.length * outputs.length} finite numbers)`,
      );
    }
    this.#warmedUp = true;
  }
}

// Private: try the requested providers in order; CUDA that is asked for but not usable falls
// back to the next one with a warning rather than refusing to serve.
async function createSession(
  modelFile: string,
  { settings, warn }: LoadModelOptions,
): Promise<{
  session: InferenceSession;
  provider: ExecutionProviderName;
  sessionOptions: InferenceSession.SessionOptions;
  failures: string[];
}> {
  const available = installedProviders();
  const failures: string[] = [];
  for (const provider of settings.executionProviders) {
    if (provider !== 'cpu' && !available.has(provider)) {
      failures.push(`${provider}: not in this onnxruntime-node install (${GPU_INSTALL_HINT})`);
      continue;
    }
    try {
      const sessionOptions = toOrtSessionOptions(settings, [provider]);
      const session = await InferenceSession.create(modelFile, sessionOptions);
      if (failures.length > 0) warn?.(`${modelFile}: using execution provider "${provider}"; ${failures.join('; ')}`);
      return { session, provider, sessionOptions, failures };
    } catch (error) {
      failures.push(`${provider}: ${(error as Error).message}`);
    }
  }
  throw new ManifestError(modelFile, `no execution provider could load it (${failures.join('; ')})`);
}

function checkSessionAgainstManifest(modelFile: string, session: InferenceSession, manifest: ModelManifest): void {
  const fail = (problem: string): never => {
    throw new ManifestError(modelFile, `does not match its manifest ${join(dirname(modelFile), 'manifest.json')}: ${problem}`);
  };
  const check = (
    kind: 'input' | 'output',
    metadata: readonly InferenceSession.ValueMetadata[],
    expectedName: string,
    width: number,
  ): void => {
    if (metadata.length !== 1) fail(`expected one ${kind}, the model has ${metadata.length} (${metadata.map((m) => m.name).join(', ')})`);
    const meta = metadata[0]!;
    if (meta.name !== expectedName) fail(`${kind} is named "${meta.name}", the manifest says "${expectedName}"`);
    if (!meta.isTensor || meta.type !== 'float32') fail(`${kind} "${meta.name}" must be a float32 tensor`);
    const shape = meta.isTensor ? meta.shape : [];
    if (shape.length !== 2 || typeof shape[0] !== 'string' || shape[1] !== width) {
      fail(`${kind} "${meta.name}" has shape [${shape.join(', ')}], expected [batch, ${width}] with a dynamic batch axis`);
    }
  };
  check('input', session.inputMetadata, manifest.input.name, manifest.features.length);
  check('output', session.outputMetadata, manifest.output.name, manifest.outputs.length);
}
