/** The repo's pinned Node 24 (the `node` devDependency), for child processes that run .ts files. */

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const nodeBinary = join(repoRoot, 'node_modules', '.bin', 'node');
