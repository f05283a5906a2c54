/**
 * Wrappers of a real model runner for integration tests: the model and onnxruntime stay real; a
 * wrapper only injects a fault, or counts what actually reached the model.
 */
import type { ModelRunner, PackedBatch, PackedOutputs } from '../../src/inference/index.ts';

/** Text a failure carries that must never reach a client (checked by the tests that use it). */
export const SECRET = 'secret-internal-detail /opt/models/xyz.onnx';

/** Wraps a real model, delegating everything; the subclasses change one thing. */
export class WrappedRunner implements ModelRunner {
  readonly inner: ModelRunner;
  constructor(inner: ModelRunner) {
    this.inner = inner;
  }
  get manifest() {
    return this.inner.manifest;
  }
  get version() {
    return this.inner.version;
  }
  get loadId() {
    return this.inner.loadId;
  }
  get codec() {
    return this.inner.codec;
  }
  get executionProvider() {
    return this.inner.executionProvider;
  }
  get warmedUp() {
    return this.inner.warmedUp;
  }
  get providerFailures() {
    return this.inner.providerFailures;
  }
  run(batch: PackedBatch): Promise<PackedOutputs> {
    return this.inner.run(batch);
  }
}

/** `run` throws (SECRET) while `failing` is set. */
export class FailingRunner extends WrappedRunner {
  failing = true;
  override run(batch: PackedBatch): Promise<PackedOutputs> {
    if (this.failing) return Promise.reject(new Error(SECRET));
    return super.run(batch);
  }
}

/** Reading `warmedUp` throws a plain Error (a bug the schema did not expect). */
export class BrokenGetterRunner extends WrappedRunner {
  override get warmedUp(): boolean {
    throw new Error(SECRET);
  }
}
