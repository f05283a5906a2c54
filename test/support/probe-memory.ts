/**
 * The memory a model's probe shares with its workers (probe.ts, instrumented-worker.ts): slots of
 * one Int32Array over a SharedArrayBuffer, and the helpers both threads use. Imports nothing, so a
 * worker loads it cheaply.
 */

/** Exactly representable in float32, inside the first feature's range of the shipped models. */
export const HOLD_MARKER = 4323.5;

// Slots of the shared Int32Array.
export const RUNS = 0;
export const ROWS = 1;
export const FAILED_RUNS = 2;
export const GATE = 3;
export const HOLDING = 4;
export const SIZES = 8;
export const SIZE_SLOTS = 1024;
/** GATE values: no hold armed; armed; released; kill the held worker (exit 70) or fail the held run. */
export const PASS = 0;
export const ARMED = 1;
export const RELEASED = 2;
export const KILL = 3;

export function hasMarker(packed: Float32Array, rows: number, width: number, marker: number): boolean {
  for (let r = 0; r < rows; r++) if (packed[r * width] === marker) return true;
  return false;
}

/** The held run reads how it was let go (RELEASED or KILL) and resets the gate: the hold was for one run. */
export function takeGate(shared: Int32Array): number {
  const state = Atomics.load(shared, GATE);
  Atomics.compareExchange(shared, GATE, state, PASS);
  return state;
}
