/**
 * text features: a string, tokenized where GraphQL runs (each GraphQL thread) with the model
 * folder's tokenizer.json, into the token ids of a [batch, sequence] input; its attention mask and
 * token types (inputs of their own) are derived from the ids' length when a run is padded. A text
 * longer than maxTokens is refused, or cut to it (`overflow: "truncate"`, said in the prediction);
 * a text of no token at all (empty, blank) is refused; a string longer than maxLength characters is
 * refused before it is tokenized.
 */
import { defaultSignature, type FeatureKind } from '../feature-kind.ts';

/** Characters a text may have per token of maxTokens, when the manifest gives no maxLength: 32 (a long word). */
export const CHARACTERS_PER_TOKEN = 32;

export const textFeature: FeatureKind = {
  width: () => 0,
  feedProblem: (_spec, t) => {
    if (!t.sequence) return `a text feature feeds token ids: a [batch, sequence] input, and "${t.name}" has no sequence axis`;
    if (t.dtype !== 'int64' && t.dtype !== 'int32') return 'a text feature needs an int64 or int32 input of token ids';
    return t.dims.length === 0
      ? undefined
      : `a text feature feeds [batch, sequence] ids, and "${t.name}" has rows of sequence × ${t.dims.join(' × ')}`;
  },
  specProblem: (spec) =>
    spec.maxTokens !== undefined && spec.maxTokens < 2 ? `has maxTokens ${spec.maxTokens}: a text takes 2 or more` : undefined,
  defaultProblem: (spec) =>
    typeof spec.default === 'string' && spec.default.trim() !== '' ? undefined : 'must be a text that is not blank',
  writer: (spec, t, _column, at, { tokenizer }) => {
    if (!tokenizer) throw new Error(`text feature "${spec.name}" has no tokenizer`);
    const maxTokens = spec.maxTokens ?? tokenizer.modelMaxLength!;
    const maxLength = spec.maxLength ?? maxTokens * CHARACTERS_PER_TOKEN;
    const Ids = t.dtype === 'int64' ? BigInt64Array : Int32Array;
    return (parts, value, notes) => {
      if (typeof value !== 'string') return 'must be a string';
      if (value.length > maxLength) return `must be at most ${maxLength} characters long (it has ${value.length})`;
      const { ids, textTokens } = tokenizer.encode(value);
      if (textTokens === 0) return 'must hold at least one token (it is empty or blank)';
      let served = ids;
      if (ids.length > maxTokens) {
        if (spec.overflow !== 'truncate')
          return `must be at most ${maxTokens} tokens long with the model's special tokens (it is ${ids.length}): shorten it, or give the feature "overflow": "truncate"`;
        served = tokenizer.truncate(ids, maxTokens);
        notes.truncated = [...(notes.truncated ?? []), spec.name];
      }
      parts[at] = Ids === BigInt64Array ? BigInt64Array.from(served, BigInt) : Int32Array.from(served);
      notes.tokens = (notes.tokens ?? 0) + served.length;
      return undefined;
    };
  },
  sample: (spec, t, i, _tensor, { tokenizer }) => {
    const maxTokens = spec.maxTokens ?? tokenizer?.modelMaxLength ?? 16;
    // From one word to about half the maximum, so that a warm-up run pads rows of different lengths.
    return tokenizer?.sampleText(1 + Math.floor(t * (maxTokens / 2 - 1)), i) ?? 'a';
  },
  signature: (spec) => `text ≤ ${spec.maxTokens ?? 'model_max_length'} tokens, ${spec.overflow ?? 'refuse'}${defaultSignature(spec)}`,
  describe: () => 'text',
};
