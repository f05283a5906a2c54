/**
 * A text feature's tokenizer: the model folder's Hugging Face `tokenizer.json` (with its
 * `tokenizer_config.json` and `special_tokens_map.json` when present), through
 * `@huggingface/tokenizers` (pure TypeScript, no native code, no download: it runs in every
 * GraphQL thread; the choice and its measurements are in the project's notes). It gives a text's
 * ids with the special tokens of the tokenizer's template ([CLS] … [SEP]), truncates keeping them,
 * and knows the padding id and the longest input the model takes.
 */
import { Tokenizer } from '@huggingface/tokenizers';

/** The tokenizer files of a model folder, parsed (plain data: it crosses to the GraphQL threads). */
export interface TokenizerFiles {
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
  specialTokens?: Record<string, unknown>;
}

// @huggingface/tokenizers 0.2.0 reads text per UTF-16 unit in BertNormalizer's Chinese-character
// test, so the CJK ideographs beyond the BMP (extensions B–F, the compatibility supplement) are never
// split apart as Hugging Face's Rust tokenizer splits them: spacing them first gives its ids
// (measured: 0 of 131 072 texts differ after, versus whole runs of them read as one [UNK] before).
const SUPPLEMENTARY_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B920}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;
const SUPPLEMENTARY_CJK_TEST = /[\u{20000}-\u{2FA1F}]/u;

export interface TextIds {
  /** The ids, special tokens included. */
  ids: number[];
  /** Tokens of the text itself (special tokens left out), before any truncation. */
  textTokens: number;
}

export class TextTokenizer {
  readonly #tokenizer: Tokenizer;
  /** Special tokens the template puts before and after a text ([CLS] and [SEP]: 1 and 1). */
  readonly #leading: number;
  readonly #trailing: number;
  readonly padId: number;
  /** The tokenizer's model_max_length, when it states a usable one. */
  readonly modelMaxLength: number | undefined;
  readonly #words: string[];
  /** BertNormalizer's handle_chinese_chars: each CJK character is a word of its own. */
  readonly #splitsCjk: boolean;

  constructor(files: TokenizerFiles) {
    const config = { ...files.specialTokens, ...files.config };
    this.#tokenizer = new Tokenizer(files.tokenizer, config);
    const empty: number[] = this.#tokenizer.encode('').ids;
    // An empty text is the template alone: its tokens split around where a text goes.
    const withText: number[] = this.#tokenizer.encode('a').ids;
    this.#leading = withText.findIndex((id: number, i: number) => id !== empty[i]);
    if (this.#leading < 0) this.#leading = empty.length;
    this.#trailing = empty.length - this.#leading;
    this.padId = padIdOf(this.#tokenizer, files, config);
    const max = Number(config.model_max_length);
    // transformers writes 1e30 for "no limit".
    this.modelMaxLength = Number.isInteger(max) && max > 0 && max < 1_000_000 ? max : undefined;
    this.#words = wordsOf(files.tokenizer);
    const normalizer = files.tokenizer.normalizer as { type?: string; handle_chinese_chars?: boolean } | null | undefined;
    this.#splitsCjk = normalizer?.type === 'BertNormalizer' && normalizer.handle_chinese_chars !== false;
  }

  /** Special tokens around every text: the fewest a text can take. */
  get specialTokens(): number {
    return this.#leading + this.#trailing;
  }

  encode(text: string): TextIds {
    const { ids } = this.#tokenizer.encode(
      this.#splitsCjk && SUPPLEMENTARY_CJK_TEST.test(text) ? text.replace(SUPPLEMENTARY_CJK, ' $& ') : text,
    );
    return { ids, textTokens: ids.length - this.specialTokens };
  }

  /** The first `maxTokens` ids of `ids`, the template's trailing tokens kept at the end. */
  truncate(ids: readonly number[], maxTokens: number): number[] {
    if (ids.length <= maxTokens) return [...ids];
    return [...ids.slice(0, maxTokens - this.#trailing), ...ids.slice(ids.length - this.#trailing)];
  }

  /** A text of about `words` words from the vocabulary (warm-up and probes: texts the model has seen). */
  sampleText(words: number, offset: number): string {
    if (this.#words.length === 0) return 'a'.repeat(Math.max(1, words));
    return Array.from({ length: Math.max(1, words) }, (_, k) => this.#words[(offset * 7 + k * 13) % this.#words.length]).join(' ');
  }
}

// Private: the padding id: tokenizer.json's own padding, else the pad token's id, else 0 (BERT's [PAD]).
function padIdOf(tokenizer: Tokenizer, files: TokenizerFiles, config: Record<string, unknown>): number {
  const padding = files.tokenizer.padding as { pad_id?: number } | null | undefined;
  if (typeof padding?.pad_id === 'number') return padding.pad_id;
  const token = config.pad_token;
  const name = typeof token === 'string' ? token : (token as { content?: string } | undefined)?.content;
  return (name !== undefined ? tokenizer.token_to_id(name) : undefined) ?? 0;
}

// Private: whole words of the vocabulary (not pieces, not special tokens), for sample texts.
function wordsOf(tokenizer: Record<string, unknown>): string[] {
  const vocab = (tokenizer.model as { vocab?: Record<string, number> | [string, number][] } | undefined)?.vocab;
  const names = Array.isArray(vocab) ? vocab.map(([name]) => name) : Object.keys(vocab ?? {});
  return names.filter((w) => /^[a-z]{2,}$/i.test(w)).slice(0, 500);
}
