/**
 * Reviews for the text benchmarks (bench:text, bench:cache): review-sentiment's reference texts of
 * `minTokens` to `maxTokens` tokens, as its tokenizer counts them (the reference also holds edge
 * cases: empty, blank, over the model's limit), and the tokenizer itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelsDir } from '../../src/config.ts';
import { readTokenizerFiles, TextTokenizer } from '../../src/inference/index.ts';

export async function reviewTexts(minTokens: number, maxTokens: number): Promise<{ texts: string[]; tokenizer: TextTokenizer }> {
  const folder = join(defaultModelsDir, 'review-sentiment');
  const tokenizer = new TextTokenizer(await readTokenizerFiles(folder));
  const { cases } = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as { cases: { text: string }[] };
  const texts = cases
    .map((c) => c.text)
    .filter((t) => {
      const n = tokenizer.encode(t).ids.length;
      return n >= minTokens && n <= maxTokens;
    });
  return { texts, tokenizer };
}
