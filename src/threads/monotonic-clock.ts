/**
 * Times that cross threads. `performance.now()` counts from an origin of each thread's own, and in
 * Node 24 `performance.timeOrigin` does not tell it: it is the same in every thread while their
 * `now()` origins differ (by ~1 ms for a worker started at once, measured; more for one started
 * later). `process.hrtime` reads one monotonic clock for the whole process, so a time sent to
 * another thread goes as hrtime milliseconds and comes back to that thread's `performance.now()`.
 */

// Sampled once: both calls read the same clock within a microsecond.
const originMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** This thread's `performance.now()` time → the process-wide monotonic clock, in ms. */
export function toProcessMs(nowMs: number): number {
  return nowMs + originMs;
}

/** A process-wide monotonic time in ms → this thread's `performance.now()` time. */
export function fromProcessMs(processMs: number): number {
  return processMs - originMs;
}
