/**
 * One loaded model: an onnxruntime session whose inputs and outputs were checked against the
 * manifest (model-layout.ts), with the row codec compiled from them, warmed up with rows that span
 * every feature's range. `run` takes a packed batch and returns the outputs the fields read.
 */
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ManifestError, type ModelManifest } from '../manifest.ts';
import { resolveLayout, tensorSpecs } from '../model-layout.ts';
import type { ModelView } from '../model-view.ts';
import { RowCodec } from '../row-codec.ts';
import type { OutputRow, PackedBatch, PackedOutputs } from '../tensors.ts';
import { GPU_INSTALL_HINT, installedProviders } from './execution-providers.ts';
import type { WorkerSetup } from './inference-worker.ts';
import { runBatch } from './run-batch.ts';
import { type ExecutionProviderName, type SessionSettings, toOrtSessionOptions } from './session-options.ts';

/** What the registry and the scheduler need of a model: its view, and a session to run; unit tests may fake it. */
export interface ModelRunner extends ModelView {
  run(batch: PackedBatch): Promise<PackedOutputs>;
  /** How a worker thread can load the same model; absent for runners that cannot leave this thread. */
  workerSetup?(): WorkerSetup;
}

export interface LoadModelOptions {
  settings: SessionSettings;
  /** Called once when a requested provider cannot be used and a later one is. */
  warn?: (message: string) => void;
}

/** Rows of the warm-up run: spread over every feature's range (and every category). */
const WARM_UP_ROWS = 8;

export class ModelSession implements ModelRunner {
  readonly manifest: ModelManifest;
  readonly codec: RowCodec;
  readonly executionProvider: ExecutionProviderName;
  readonly modelFile: string;
  readonly providerFailures: readonly string[];
  readonly #sessionOptions: InferenceSession.SessionOptions;
  readonly #fetches: string[];
  #session: InferenceSession;
  #warmedUp = false;

  private constructor(
    manifest: ModelManifest,
    codec: RowCodec,
    modelFile: string,
    session: InferenceSession,
    provider: ExecutionProviderName,
    sessionOptions: InferenceSession.SessionOptions,
    providerFailures: readonly string[],
  ) {
    this.manifest = manifest;
    this.codec = codec;
    this.providerFailures = providerFailures;
    this.#sessionOptions = sessionOptions;
    this.modelFile = modelFile;
    this.#session = session;
    this.executionProvider = provider;
    this.#fetches = codec.layout.outputs.map((t) => t.name);
  }

  static async load(folder: string, manifest: ModelManifest, options: LoadModelOptions): Promise<ModelSession> {
    const modelFile = join(folder, 'model.onnx');
    const { session, provider, sessionOptions, failures } = await createSession(modelFile, options);
    const layout = resolveLayout(join(folder, 'manifest.json'), manifest, {
      inputs: session.inputMetadata,
      outputs: session.outputMetadata,
    });
    // The manifest as served: its tensors completed from the file (what `models { tensors }` shows).
    const completed = { ...manifest, tensors: { inputs: tensorSpecs(layout.inputs), outputs: tensorSpecs(layout.outputs) } };
    const model = new ModelSession(completed, new RowCodec(layout), modelFile, session, provider, sessionOptions, failures);
    await model.#warmUp();
    return model;
  }

  get warmedUp(): boolean {
    return this.#warmedUp;
  }

  run(batch: PackedBatch): Promise<PackedOutputs> {
    return runBatch(this.#session, batch, this.#fetches);
  }

  workerSetup(): WorkerSetup {
    return { modelFile: this.modelFile, sessionOptions: this.#sessionOptions, fetches: this.#fetches };
  }

  async release(): Promise<void> {
    await this.#session.release();
  }

  // Private: the first run pays for allocator and kernel set-up; pay it before serving, and prove
  // the model answers finite numbers of the promised shape over every feature's range.
  async #warmUp(): Promise<void> {
    const rows = Array.from({ length: WARM_UP_ROWS }, (_, i) => {
      const encoded = this.codec.encode(this.codec.sampleValues(i, WARM_UP_ROWS));
      if (!encoded.ok) throw new ManifestError(this.modelFile, `warm-up input ${i} is invalid: ${JSON.stringify(encoded.problems)}`);
      return encoded.row;
    });
    let outputs: OutputRow[];
    try {
      outputs = this.codec.unpack(await this.run(this.codec.pack(rows)), rows.length);
    } catch (error) {
      throw new ManifestError(this.modelFile, `the warm-up run failed: ${(error as Error).message}`);
    }
    for (const { spec } of this.codec.layout.fields) {
      const reader = this.codec.reader(spec.name)!;
      for (const row of outputs) {
        if (!reader.numbers(row).every(Number.isFinite))
          throw new ManifestError(this.modelFile, `the warm-up run gave "${spec.name}" a value that is not finite`);
      }
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
