/**
 * Times that cross threads. `performance.now()` counts from an origin of each thread's own, and in
 * Node 24 `performance.timeOrigin` does not tell it: it is the same in every thread while their
 * `now()` origins differ (by ~1 ms for a worker started at once, measured; more for one started
 * later). `process.hrtime` reads one monotonic clock for the whole process, so a time sent to
 * another thread goes as hrtime milliseconds and comes back to that thread's `performance.now()`.
 */

// The offset between the two clocks, from the tightest of several readings: a thread preempted
// between two reads (a busy machine) would skew a single reading by milliseconds, and every time
// it converts after it.
const originMs = (() => {
  let best = { spreadMs: Number.POSITIVE_INFINITY, originMs: 0 };
  for (let i = 0; i < 64; i++) {
    const before = performance.now();
    const hrMs = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best.spreadMs) best = { spreadMs: after - before, originMs: hrMs - (before + after) / 2 };
  }
  return best.originMs;
})();

/** This thread's `performance.now()` time → the process-wide monotonic clock, in ms. */
export function toProcessMs(nowMs: number): number {
  return nowMs + originMs;
}

/** A process-wide monotonic time in ms → this thread's `performance.now()` time. */
export function fromProcessMs(processMs: number): number {
  return processMs - originMs;
}
