/** Why a job or row was not served. The GraphQL layer maps these to error codes. */

export class OverloadedError extends Error {
  readonly reason: 'queue-full' | 'queue-timeout' | 'shutting-down';
  /** A hint for clients (HTTP Retry-After). */
  readonly retryAfterMs: number;

  constructor(message: string, reason: OverloadedError['reason'], retryAfterMs: number) {
    super(message);
    this.name = 'OverloadedError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

export class RunFailedError extends Error {
  readonly model: string;
  /** Rows in the failed run. */
  readonly size: number;

  constructor(model: string, size: number, cause: unknown) {
    super(`Model "${model}" failed a run of ${size} row(s): ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'RunFailedError';
    this.model = model;
    this.size = size;
  }
}

/**
 * onnxruntime refused to run a batch: a kernel error on these inputs (an unknown category with
 * OneHotEncoder's zeros=0, a value out of a lookup table). Deterministic for the rows it holds,
 * unlike a worker that died or a run that timed out: on a run of one row, that row is at fault.
 */
export class ModelRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRunError';
  }
}
