/**
 * What the GraphQL layer needs of a model, without its session: the manifest, the row codec, the
 * provider it runs on and whether it is warmed up. A GraphQL thread (src/threads/) has views only:
 * the owner thread sends each model's ModelViewData (plain data, cloned into the thread), the
 * thread compiles the codec from its layout, and the owner alone holds the sessions and runs them.
 */
import type { ExecutionProviderName } from './execution/session-options.ts';
import type { ModelManifest } from './manifest.ts';
import type { ModelLayout } from './model-layout.ts';
import { RowCodec } from './row-codec.ts';

export interface ModelView {
  /** The manifest, its tensors completed from model.onnx. */
  readonly manifest: ModelManifest;
  /**
   * Which version of the model this is: the number of its folder (models/<name>/<version>/), or 1
   * for a model whose files sit in models/<name>/ itself. A job always runs on the version it was
   * encoded for.
   */
  readonly version: number;
  /**
   * This load of the model, unique in the server's process (a version whose files were replaced in
   * place is loaded again under its number, with a new loadId): the owner runs a job on the load
   * whose codec encoded it, never on another.
   */
  readonly loadId: number;
  /** Encodes inputs, packs rows, unpacks outputs and reads prediction fields. */
  readonly codec: RowCodec;
  readonly executionProvider: ExecutionProviderName;
  readonly warmedUp: boolean;
  /** Why earlier providers of the preference list could not be used (empty when the first one was). */
  readonly providerFailures?: readonly string[];
}

/** A model view as plain data, for structured clone (workerData, postMessage). */
export interface ModelViewData {
  manifest: ModelManifest;
  version: number;
  loadId: number;
  layout: ModelLayout;
  executionProvider: ExecutionProviderName;
  warmedUp: boolean;
  providerFailures: readonly string[];
}

export function modelViewData(model: ModelView): ModelViewData {
  return {
    manifest: model.manifest,
    version: model.version,
    loadId: model.loadId,
    layout: model.codec.layout,
    executionProvider: model.executionProvider,
    warmedUp: model.warmedUp,
    providerFailures: model.providerFailures ?? [],
  };
}

/** The view a GraphQL thread serves: the same manifest and layout, its codec compiled here. */
export function modelViewOf(data: ModelViewData): ModelView {
  return Object.freeze({
    manifest: data.manifest,
    version: data.version,
    loadId: data.loadId,
    codec: new RowCodec(data.layout),
    executionProvider: data.executionProvider,
    warmedUp: data.warmedUp,
    providerFailures: data.providerFailures,
  });
}
