/**
 * Packing rows into one contiguous tensor buffer and splitting a batched output back per row.
 * Both are O(rows × width) copies with no allocation per row beyond the views handed back.
 */

/** Copies `rows` (each `width` floats) into one row-major Float32Array of shape [rows.length, width]. */
export function packRows(rows: readonly Float32Array[], width: number): Float32Array {
  const packed = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.length !== width) {
      throw new RangeError(`Row ${i} must have ${width} values, but got: ${row.length}`);
    }
    packed.set(row, i * width);
  }
  return packed;
}

/**
 * Splits a row-major [rows, width] buffer into per-row views. Views share the buffer: the caller
 * must not reuse it (onnxruntime hands back a fresh buffer per run, so it is safe here).
 */
export function splitRows(data: Float32Array, rows: number, width: number): Float32Array[] {
  if (data.length !== rows * width) {
    throw new RangeError(`Output must hold ${rows} × ${width} = ${rows * width} values, but got: ${data.length}`);
  }
  const out = new Array<Float32Array>(rows);
  for (let i = 0; i < rows; i++) out[i] = data.subarray(i * width, (i + 1) * width);
  return out;
}
