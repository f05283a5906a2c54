/**
 * Pooling a text model's [batch, sequence, hidden] output into one vector per row, over the row's
 * real tokens only (the run padded every row to its longest): the mean, the first token's ([CLS]),
 * or the max, then optionally L2-normalised, as Text Embeddings Inference and sentence-transformers'
 * 1_Pooling/config.json describe. Done where the run happened, so a pooled answer travels as `hidden`
 * floats per row, never as the run's padded states.
 */
import type { NumericArray } from '../tensors.ts';

export function pool(
  data: NumericArray,
  rows: number,
  hidden: number,
  lengths: Int32Array | undefined,
  { mode, normalize }: { mode: 'mean' | 'cls' | 'max'; normalize: boolean },
  name: string,
): Float32Array {
  const positions = rows === 0 ? 0 : data.length / (rows * hidden);
  if (!Number.isInteger(positions))
    throw new Error(`output "${name}" holds ${data.length} values, not ${rows} rows × positions × ${hidden}`);
  const values = data as Float32Array;
  const out = new Float32Array(rows * hidden);
  for (let r = 0; r < rows; r++) {
    const tokens = Math.min(lengths?.[r] ?? positions, positions);
    const base = r * positions * hidden;
    const at = r * hidden;
    if (mode === 'cls') {
      for (let h = 0; h < hidden; h++) out[at + h] = values[base + h]!;
    } else if (mode === 'max') {
      for (let h = 0; h < hidden; h++) {
        let best = Number.NEGATIVE_INFINITY;
        for (let p = 0; p < tokens; p++) best = Math.max(best, values[base + p * hidden + h]!);
        out[at + h] = best;
      }
    } else {
      // In float64, then stored: the mean of up to thousands of float32 values loses less.
      for (let h = 0; h < hidden; h++) {
        let sum = 0;
        for (let p = 0; p < tokens; p++) sum += values[base + p * hidden + h]!;
        out[at + h] = sum / Math.max(tokens, 1);
      }
    }
    if (normalize) {
      let norm = 0;
      for (let h = 0; h < hidden; h++) norm += out[at + h]! * out[at + h]!;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
      for (let h = 0; h < hidden; h++) out[at + h] = out[at + h]! * scale;
    }
  }
  return out;
}
