/**
 * The memory a model's probe shares with its workers (probe.ts, instrumented-worker.ts): slots of
 * one Int32Array over a SharedArrayBuffer, and the helpers both threads use. Imports nothing, so a
 * worker loads it cheaply.
 */
import type { PackedBatch } from '../../src/inference/index.ts';

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

/** Whether a row of the batch has `marker` as its first value (the first column of the first input). */
export function hasMarker(batch: PackedBatch, marker: number): boolean {
  const first = batch.inputs[0];
  if (!first || Array.isArray(first.data)) return false;
  const width = first.dims.reduce((a, b) => a * b, 1);
  const data = first.data as ArrayLike<number | bigint>;
  for (let r = 0; r < batch.rows; r++) if (Number(data[r * width]) === marker) return true;
  return false;
}

/** The held run reads how it was let go (RELEASED or KILL) and resets the gate: the hold was for one run. */
export function takeGate(shared: Int32Array): number {
  const state = Atomics.load(shared, GATE);
  Atomics.compareExchange(shared, GATE, state, PASS);
  return state;
}
