/**
 * What a version folder holds, as the poller compares it: every file's relative path, size and
 * modification time. A retrained model copied over a version's files, or a new version folder,
 * changes it; reading it is a stat per file, no file is opened.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function folderFingerprint(folder: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      // A flat model folder (version 1 in models/<name>/) holds no version folders to skip; a
      // tokenizer's 1_Pooling/ is one level down.
      if (entry.isDirectory() && depth < 2) await walk(path, depth + 1);
      else if (entry.isFile()) {
        const info = await stat(path);
        parts.push(`${relative(folder, path)}:${info.size}:${info.mtimeMs}`);
      }
    }
  };
  await walk(folder, 0);
  return parts.join('\n');
}
