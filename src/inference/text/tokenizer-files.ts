/**
 * A model folder's tokenizer files, as a Hugging Face export leaves them: tokenizer.json
 * (required for a text feature), tokenizer_config.json and special_tokens_map.json (optional).
 * Read once where the model loads; their parsed content travels with the layout to every thread.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError } from '../manifest.ts';
import type { TokenizerFiles } from './text-tokenizer.ts';

/** The files a text model's folder may hold besides model.onnx (model:add copies them too). */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

export async function readTokenizerFiles(folder: string): Promise<TokenizerFiles> {
  const tokenizer = await readJson(join(folder, 'tokenizer.json'), true);
  const config = (await readJson(join(folder, 'tokenizer_config.json'), false)) ?? {};
  const specialTokens = await readJson(join(folder, 'special_tokens_map.json'), false);
  return { tokenizer: tokenizer!, config, ...(specialTokens ? { specialTokens } : {}) };
}

async function readJson(file: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ManifestError(
      file,
      `cannot be read (${(error as Error).message}); a text feature needs the model's tokenizer.json beside model.onnx`,
    );
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ManifestError(file, `is not valid JSON (${(error as Error).message})`);
  }
}
