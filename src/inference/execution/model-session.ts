/**
 * One loaded model: an onnxruntime session whose inputs and outputs were checked against the
 * manifest (model-layout.ts), with the row codec compiled from them, warmed up with rows that span
 * every feature's range. `run` takes a packed batch and returns the outputs the fields read.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ManifestError, type ModelManifest } from '../manifest.ts';
import { resolveLayout, tensorSpecs } from '../model-layout.ts';
import type { ModelView } from '../model-view.ts';
import { OnnxFileError, type OnnxGraph, rewriteForServing } from '../onnx-file/index.ts';
import { RowCodec } from '../row-codec.ts';
import type { OutputRow, PackedBatch, PackedOutputs, TextPadding } from '../tensors.ts';
import { readTokenizerFiles } from '../text/tokenizer-files.ts';
import { GPU_INSTALL_HINT, installedProviders } from './execution-providers.ts';
import type { WorkerSetup } from './inference-worker.ts';
import { runBatch } from './run-batch.ts';
import { type ExecutionProviderName, type SessionSettings, toOrtSessionOptions } from './session-options.ts';

/** What the registry and the scheduler need of a model: its view, and a session to run; unit tests may fake it. */
export interface ModelRunner extends ModelView {
  run(batch: PackedBatch): Promise<PackedOutputs>;
  /** How a worker thread can load the same model; absent for runners that cannot leave this thread. */
  workerSetup?(): WorkerSetup;
  /** What the loader rewrote so that onnxruntime-node can serve the model (one line each; model.onnx is unchanged). */
  readonly changes?: readonly string[];
  /** Frees its session (a model loaded only to be checked, as `model:add` does). */
  release?(): Promise<void>;
}

export interface LoadModelOptions {
  settings: SessionSettings;
  /** The version it is served as (ModelView.version); default 1. */
  version?: number;
  /** How a text model's runs are padded (RegistryLoadOptions.textPadding). */
  textPadding?: TextPadding;
  /** Called once when a requested provider cannot be used and a later one is. */
  warn?: (message: string) => void;
}

/** ModelView.loadId: one per load in this process. */
let lastLoadId = 0;
export function nextLoadId(): number {
  return ++lastLoadId;
}

/** Rows of the warm-up run: spread over every feature's range (and every category). */
const WARM_UP_ROWS = 8;

export class ModelSession implements ModelRunner {
  readonly manifest: ModelManifest;
  readonly version: number;
  readonly loadId = nextLoadId();
  readonly codec: RowCodec;
  readonly executionProvider: ExecutionProviderName;
  readonly modelFile: string;
  readonly providerFailures: readonly string[];
  readonly #sessionOptions: InferenceSession.SessionOptions;
  readonly #fetches: string[];
  #session: InferenceSession;
  #warmedUp = false;
  /** The bytes the session was made from, when they are not model.onnx's own (a ZipMap rewritten): a worker loads these. */
  #servedBytes: Uint8Array | undefined;
  /** What was rewritten at load, one line each (the start-up log says them). */
  changes: readonly string[] = [];

  private constructor(
    manifest: ModelManifest,
    version: number,
    codec: RowCodec,
    modelFile: string,
    session: InferenceSession,
    provider: ExecutionProviderName,
    sessionOptions: InferenceSession.SessionOptions,
    providerFailures: readonly string[],
  ) {
    this.manifest = manifest;
    this.version = version;
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
    const served = await servingModel(modelFile);
    // The path when nothing was rewritten: onnxruntime then also finds a model's external data files.
    const { session, provider, sessionOptions, failures } = await createSession(
      modelFile,
      served.rewritten ? served.bytes : modelFile,
      options,
    );
    const tokenizer = manifest.features.some((f) => f.type === 'text') ? await readTokenizerFiles(folder) : undefined;
    const layout = resolveLayout(
      join(folder, 'manifest.json'),
      manifest,
      { inputs: session.inputMetadata, outputs: session.outputMetadata },
      tokenizer,
      options.textPadding,
    );
    // The manifest as served: its tensors completed from the file (what `models { tensors }` shows).
    const completed = {
      ...manifest,
      tensors: { inputs: tensorSpecs(layout.inputs, layout.maxBatchRows), outputs: tensorSpecs(layout.outputs, layout.maxBatchRows) },
    };
    checkClassLabels(join(folder, 'manifest.json'), completed, served.graph);
    const model = new ModelSession(
      completed,
      options.version ?? 1,
      new RowCodec(layout),
      modelFile,
      session,
      provider,
      sessionOptions,
      failures,
    );
    model.#servedBytes = served.rewritten ? served.bytes : undefined;
    model.changes = served.changes;
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
    return {
      modelFile: this.modelFile,
      ...(this.#servedBytes ? { modelBytes: this.#servedBytes } : {}),
      sessionOptions: this.#sessionOptions,
      fetches: this.#fetches,
    };
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
    // In runs as large as the model takes (one row each when it fixes its batch axis to 1).
    const step = this.codec.layout.maxBatchRows ?? rows.length;
    const outputs: OutputRow[] = [];
    try {
      for (let at = 0; at < rows.length; at += step) {
        const part = rows.slice(at, at + step);
        // As a run goes: a text model's rows padded to the longest, the mask made to match.
        const batch = this.codec.concat([{ rows: this.codec.pack(part), start: 0, count: part.length }]);
        outputs.push(...this.codec.unpack(await this.run(batch), part.length, batch.lengths));
      }
    } catch (error) {
      throw new ManifestError(this.modelFile, `the warm-up run failed: ${(error as Error).message}${warmUpHint(this.codec)}`);
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

// Private: what a failed warm-up may mean: a string feature fed "" (the only value predictql can
// make up for free text) that the model does not accept.
function warmUpHint(codec: RowCodec): string {
  const strings = codec.layout.features.filter((f) => f.spec.type === 'string' && f.spec.default === undefined).map((f) => f.spec.name);
  return strings.length === 0
    ? ''
    : ` (the warm-up fed "" to the string feature${strings.length > 1 ? 's' : ''} ${strings.join(', ')}: give a default the model accepts, or make it a category with the values it knows)`;
}

// Private: model.onnx as onnxruntime-node can serve it: outputs it cannot return (a ZipMap's
// seq(map)) rewritten to the tensors they read, in memory; the file itself is never changed.
async function servingModel(
  modelFile: string,
): Promise<{ bytes: Uint8Array; rewritten: boolean; graph: OnnxGraph | undefined; changes: string[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelFile);
  } catch (error) {
    throw new ManifestError(modelFile, `cannot be read (${(error as Error).message})`);
  }
  try {
    const served = rewriteForServing(bytes);
    return {
      bytes: served.bytes,
      rewritten: served.changes.length > 0,
      graph: served.graph,
      changes: served.changes.map((c) => c.description),
    };
  } catch (error) {
    // Not readable as a graph here: onnxruntime says why when it loads the file as it is.
    if (error instanceof OnnxFileError) return { bytes, rewritten: false, graph: undefined, changes: [] };
    throw error;
  }
}

// Private: where the graph states a classifier's labels, a class output that names the model's
// own labels (modelLabels, a labelTensor) must list them in the graph's order, the order of its
// probability columns; one that names the graph's string labels in another order would mislabel
// every column. Enum names given positionally (RENEWS for class 0) are the manifest's to choose.
function checkClassLabels(manifestFile: string, manifest: ModelManifest, graph: OnnxGraph | undefined): void {
  for (const spec of manifest.outputs) {
    if (spec.kind !== 'class') continue;
    const classes = (spec.modelLabels ?? spec.labels!).map(String);
    for (const found of graph?.classes ?? []) {
      const reads = [spec.tensor, spec.labelTensor].filter(
        (t) => t !== undefined && (t === found.labelOutput || t === found.probabilityOutput),
      );
      if (reads.length === 0) continue;
      const graphClasses = found.labels.values.map(String);
      if (graphClasses.join('\u0000') === classes.join('\u0000')) continue;
      const ownLabels = spec.modelLabels !== undefined || spec.labelTensor !== undefined;
      const reordered = graphClasses.length === classes.length && graphClasses.every((c) => classes.includes(c));
      if (!ownLabels && !reordered) continue;
      throw new ManifestError(
        manifestFile,
        `output "${spec.name}" reads "${reads[0]}", whose classes are ${graphClasses.join(', ')} in model.onnx (${found.opType}), but the manifest lists ${classes.join(', ')}: give them in the model's order${ownLabels ? '' : ' (or as "modelLabels")'}`,
      );
    }
  }
}

// Private: try the requested providers in order; CUDA that is asked for but not usable falls
// back to the next one with a warning rather than refusing to serve.
async function createSession(
  modelFile: string,
  model: string | Uint8Array,
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
      const session =
        typeof model === 'string'
          ? await InferenceSession.create(model, sessionOptions)
          : await InferenceSession.create(model, sessionOptions);
      if (failures.length > 0) warn?.(`${modelFile}: using execution provider "${provider}"; ${failures.join('; ')}`);
      return { session, provider, sessionOptions, failures };
    } catch (error) {
      failures.push(`${provider}: ${(error as Error).message}`);
    }
  }
  throw new ManifestError(modelFile, `no execution provider could load it (${failures.join('; ')})`);
}
