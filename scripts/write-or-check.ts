/**
 * The one `--check` of the generated files (schema, supergraph, docs): without it a script writes
 * its file; with it, it fails (exit 1) when the committed file differs, naming the command that
 * rewrites it. `npm test` runs every script with --check, so generated files cannot drift.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Writes `content` to `file`, or with --check in argv compares them; `command` is what rewrites it. */
export async function writeOrCheck(file: string, content: string, command: string, argv: readonly string[] = process.argv): Promise<void> {
  const shown = relative(repoRoot, file);
  if (!argv.includes('--check')) {
    await writeFile(file, content);
    console.log(`wrote ${shown}`);
    return;
  }
  const committed = await readFile(file, 'utf8').catch(() => '');
  if (committed !== content) {
    console.error(`${shown} is out of date with the code. Run \`${command}\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${shown} is up to date.`);
}

/** True when `moduleUrl` is the script node was started with (not an import of it). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] === fileURLToPath(moduleUrl);
}
