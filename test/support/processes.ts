/** Running the real server (`src/main.ts`) as a child process on the repo's Node 24. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { nodeBinary, repoRoot } from './node.ts';

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Server {
  child: ChildProcess;
  url: string;
  output: () => { stdout: string; stderr: string };
  exited: Promise<Exited>;
  stop: () => Promise<Exited>;
}

/**
 * Environment for the child: PREDICTQL_* and PORT from the test only, never the caller's. One
 * GraphQL thread unless the test asks for more: the tests written before threads test the
 * in-process path (the default, auto, would start one thread per core); test/integration/threads.test.ts tests N.
 * `npm run test:threaded` runs every server-process test again with TEST_GRAPHQL_THREADS=auto, the default.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PREDICTQL_GRAPHQL_THREADS: process.env.TEST_GRAPHQL_THREADS ?? '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PREDICTQL_') && key !== 'PORT' && key !== 'HOST') base[key] = value;
  }
  return { ...base, ...env };
}

export function startServerProcess(env: Record<string, string>): Server {
  const child = spawn(nodeBinary, [join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exited>((resolve) => {
    child.on('exit', (code, signal) => {
      // Let the pipes drain before reporting what was written.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${env.PORT ?? '4000'}/graphql`,
    output: () => ({ stdout, stderr }),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits until the child's stdout contains `text`; rejects if it exits first or after `timeoutMs`. */
export async function waitForOutput(server: Server, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void server.exited.then(() => (done = true));
  while (!server.output().stdout.includes(text)) {
    if (done) throw new Error(`server exited before printing ${JSON.stringify(text)}: ${JSON.stringify(server.output())}`);
    if (Date.now() > deadline)
      throw new Error(`server did not print ${JSON.stringify(text)} in ${timeoutMs} ms: ${JSON.stringify(server.output())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves the child's exit, killing it (and failing) if it has not exited within `timeoutMs`. */
export async function exitWithin(server: Server, timeoutMs: number): Promise<Exited> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      server.child.kill('SIGKILL');
      reject(new Error(`server still running after ${timeoutMs} ms: ${JSON.stringify(server.output())}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port that was free a moment ago (the server's PORT must be 1-65535, so 0 is not an option). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (typeof address !== 'object' || address === null) return reject(new Error('no port'));
      probe.close(() => resolve(address.port));
    });
  });
}
