/**
 * Options of a model's dynamic batcher, checked once at start. Each getter returns the value or
 * throws a TypeError that states the contract and echoes the bad value.
 */

export interface SchedulerOptions {
  /** Most rows in one model run; larger jobs are split across runs. */
  maxBatchSize: number;
  /**
   * Extra wait, after the first queued job, for more work before running an idle model
   * (Triton's max_queue_delay_microseconds). 0 = none: only work that arrived in the same
   * event-loop turn, or while the model was busy, is merged.
   */
  maxQueueDelayMs: number;
  /** Most rows waiting for the model; a job that would exceed it is refused at once (OVERLOADED). */
  maxQueueSize: number;
  /** A job still queued after this long is refused (OVERLOADED); 0 = no timeout. */
  queueTimeoutMs: number;
  /** Merge jobs of different requests into one run (true), or run each job on its own. */
  mergeRequests: boolean;
  /** When a run of several rows fails, re-run halves to find the row(s) at fault, so only they fail. */
  isolateFailures: boolean;
  /**
   * A text model's most padded tokens in one run: rows × the run's longest row (Text Embeddings
   * Inference's max_batch_tokens). A job of texts is split only when it alone is larger.
   */
  maxBatchTokens: number;
}

export const defaultSchedulerOptions: SchedulerOptions = {
  maxBatchSize: 4096,
  maxQueueDelayMs: 0,
  maxQueueSize: 65_536,
  queueTimeoutMs: 0,
  mergeRequests: true,
  isolateFailures: true,
  maxBatchTokens: 16_384,
};

export function getValidSchedulerOptions(options: Partial<SchedulerOptions> = {}): SchedulerOptions {
  const merged = { ...defaultSchedulerOptions, ...options };
  return {
    maxBatchSize: getPositiveInteger('maxBatchSize', merged.maxBatchSize),
    maxQueueDelayMs: getNonNegativeNumber('maxQueueDelayMs', merged.maxQueueDelayMs),
    maxQueueSize: getPositiveInteger('maxQueueSize', merged.maxQueueSize),
    queueTimeoutMs: getNonNegativeNumber('queueTimeoutMs', merged.queueTimeoutMs),
    mergeRequests: getBoolean('mergeRequests', merged.mergeRequests),
    isolateFailures: getBoolean('isolateFailures', merged.isolateFailures),
    maxBatchTokens: getPositiveInteger('maxBatchTokens', merged.maxBatchTokens),
  };
}

function getPositiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer, but got: ${String(value)}`);
  }
  return value;
}

function getNonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative finite number of milliseconds, but got: ${String(value)}`);
  }
  return value;
}

function getBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, but got: ${String(value)}`);
  return value;
}
