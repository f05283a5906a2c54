/**
 * The processes of the load benchmarks (bench:load, bench:soak): the server under load
 * (load-server.ts, asked for its figures over IPC) and the autocannon driver (load-driver.ts),
 * each in its own process so that neither shares an event loop with the other.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface DriverResult {
  requests: number;
  reqPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  graphqlErrors: number;
  /** How long autocannon drove the server. */
  durationS: number;
}

export interface LoadServer {
  child: ChildProcess;
  port: number;
  /** Executor per model, as the server decided it. */
  decisions: Record<string, string>;
}

/**
 * Starts load-server.ts (or `script`, another server speaking the same IPC: floor-server.ts) with
 * `env` added to this process's environment.
 */
export function startLoadServer(env: Record<string, string> = {}, execArgv: string[] = [], script = 'load-server.ts'): Promise<LoadServer> {
  const child = fork(join(here, script), {
    env: { ...process.env, ...env },
    execPath: process.execPath,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const onEarlyExit = (code: number | null) => reject(new Error(`load server exited with ${code}`));
    child.once('exit', onEarlyExit);
    child.once('message', (m: { port: number; decisions: Record<string, string> }) => {
      child.off('exit', onEarlyExit);
      resolve({ child, port: m.port, decisions: m.decisions });
    });
  });
}

/** Sends `cmd` to the server and resolves with its answer (`cmd` or `cmd-done`). */
export function ask<T>(child: ChildProcess, cmd: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: T & { cmd: string }) => {
      if (m.cmd === `${cmd}-done` || m.cmd === cmd) {
        child.off('message', onMessage);
        resolve(m);
      }
    };
    child.on('message', onMessage);
    child.send({ cmd });
  });
}

/** Asks the server to exit, and kills it if it has not after 10 s. */
export function stopLoadServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill(), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ cmd: 'exit' });
  });
}

/**
 * Runs autocannon (load-driver.ts) against the server for `seconds`, cycling through the bodies file.
 * `niceDriver`: at the lowest CPU priority (nice 19), so that on a small machine the server's
 * threads get the cores first and the figure is the server's, not the load generator's share.
 */
export function drive(
  port: number,
  connections: number,
  seconds: number,
  bodiesFile: string,
  { niceDriver = false, path = '/graphql' } = {},
): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    const command = [
      process.execPath,
      join(here, 'load-driver.ts'),
      `http://127.0.0.1:${port}${path}`,
      String(connections),
      String(seconds),
      bodiesFile,
    ];
    const [file, ...args] = niceDriver ? ['nice', '-n', '19', ...command] : command;
    const driver = spawn(file!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    driver.stdout.on('data', (chunk: Buffer) => (out += chunk));
    driver.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as DriverResult) : reject(new Error(`driver exited with ${code}`))));
  });
}
