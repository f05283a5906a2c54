/**
 * The suite runs all of itself: no test is skipped, focused or left as a todo, except a skip that
 * names the hardware it lacks (CUDA), which the summary reporter then lists by name. `npm test`
 * runs this, so CI fails on a stray `.only` or `.skip`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/node.ts';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : testFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

// `it.skip(`, `describe.only(`, `test.todo(`, `it.skipIf(...)`, `it.runIf(...)`, `it.fails(`, and chained forms like `it.concurrent.skip(`.
const MARKER = /\b(?:it|test|describe|suite|bench)(?:\.\w+)*\.(?:skip|only|todo|skipIf|runIf|fails)\b/;

describe('the test suite', () => {
  it('has no skipped, focused or todo test, except skips that name the missing CUDA hardware', () => {
    const offending: string[] = [];
    for (const file of testFiles(join(repoRoot, 'test'))) {
      if (file.endsWith('suite-hygiene.test.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (MARKER.test(line) && !/cuda/i.test(line)) offending.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offending).toEqual([]);
  });

  it('the pattern catches the forms it is meant to', () => {
    for (const line of ["it.skip('x', () => {})", 'describe.only(', "test.todo('later')", 'it.skipIf(!gpu)(', 'it.concurrent.only(']) {
      expect(MARKER.test(line), line).toBe(true);
    }
    for (const line of ["it('skips nothing', () => {})", 'const skip = 1;', 'describe.each([1])('])
      expect(MARKER.test(line), line).toBe(false);
  });

  it('npm run test:threaded runs every test that starts a server process, under the default GraphQL threads', () => {
    const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const listed = scripts['test:threaded']!.split(/\s+/).filter((word) => word.endsWith('.test.ts'));
    const starting = testFiles(join(repoRoot, 'test'))
      .filter(
        (file) =>
          file.endsWith('.test.ts') &&
          !file.endsWith('suite-hygiene.test.ts') &&
          readFileSync(file, 'utf8').includes('startServerProcess('),
      )
      .map((file) => relative(repoRoot, file));
    expect(listed.sort()).toEqual(starting.sort());
  });
});
