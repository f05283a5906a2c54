/**
 * Turns named feature values into a tensor row, refusing anything the model was not trained for.
 * Nothing is clamped or coerced: a value out of range is an error the caller must see.
 */
import type { FeatureSpec } from './manifest.ts';

export interface FeatureProblem {
  feature: string;
  value: unknown;
  reason: string;
}

export type FeatureRowResult = { ok: true; row: Float32Array } | { ok: false; problems: FeatureProblem[] };

export function toFeatureRow(features: readonly FeatureSpec[], values: Readonly<Record<string, unknown>>): FeatureRowResult {
  const row = new Float32Array(features.length);
  let problems: FeatureProblem[] | undefined;
  for (let i = 0; i < features.length; i++) {
    const spec = features[i]!;
    const value = values[spec.name];
    const reason = checkValue(spec, value);
    if (reason === undefined) {
      row[i] = value as number;
    } else {
      (problems ??= []).push({ feature: spec.name, value: value ?? null, reason });
    }
  }
  return problems ? { ok: false, problems } : { ok: true, row };
}

// Private: the contract of one feature, worded to follow "<feature> ..." in an error message.
function checkValue(spec: FeatureSpec, value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is required';
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
  if (value < spec.min || value > spec.max) return `must be within [${spec.min}, ${spec.max}] ${spec.unit}`;
  return undefined;
}
