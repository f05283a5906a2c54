/**
 * The drain after the first SIGTERM/SIGINT, the same whether one thread serves HTTP or several
 * GraphQL threads do: `/ready` turns 503, queued rows run at once, the front stops accepting and
 * answers what is in flight, then the models' batches and workers close, spans are flushed, and
 * the process exits 0, or 1 once PREDICTQL_SHUTDOWN_TIMEOUT_MS has passed. A second signal exits 1
 * at once. It takes what it closes, nothing of the server's own types.
 */
import type { ServerLog } from './server-log.ts';

export interface ShutdownParts {
  timeoutMs: number;
  /** What serves HTTP: stops accepting and answers its requests in flight. */
  front: {
    drain(): void;
    close(): Promise<void>;
    closeAllConnections(): void;
    readonly inFlight: number;
  };
  /** Turns `/ready` 503 (the server's lifecycle). */
  drain: () => void;
  /** The models' batches once loaded (undefined while the models load): run what is queued, then close. */
  models: () => { flush(): void; close(): Promise<void> } | undefined;
  /** Flushes spans, when tracing is on. */
  tracing: { shutdown(): Promise<void> } | undefined;
  exit: (code: number) => void;
  log: ServerLog;
}

export function shutDown({ timeoutMs, front, drain, models, tracing, exit, log }: ShutdownParts): void {
  drain();
  front.drain();
  // Queued rows run now rather than after maxQueueDelayMs: their requests are what we wait for.
  models()?.flush();
  const timer = setTimeout(() => {
    log.error(
      `shutdown still waiting after PREDICTQL_SHUTDOWN_TIMEOUT_MS ${timeoutMs} ms (${front.inFlight} request(s) in flight); exiting 1`,
    );
    front.closeAllConnections();
    exit(1);
  }, timeoutMs);
  void (async () => {
    await front.close(); // stop accepting, let in-flight requests (and their batches) finish
    await models()?.close(); // queued and running batches, then the workers
    await tracing?.shutdown(); // flush spans
    clearTimeout(timer);
    log.info('closed');
    exit(0);
  })().catch((error: unknown) => {
    clearTimeout(timer);
    log.error('shutdown failed:', error);
    exit(1);
  });
}

/**
 * Calls `drain` on the first SIGTERM or SIGINT and exits 1 on the next; `stopping` says whether a
 * signal came (a server still loading its models then releases them instead of serving).
 */
export function onStopSignals(
  signals: Pick<NodeJS.EventEmitter, 'on'>,
  { exit, log, drain }: { exit: (code: number) => void; log: ServerLog; drain: () => void },
): { readonly stopping: boolean } {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.error(`${signal} again, exiting now`);
      exit(1);
      return;
    }
    stopping = true;
    log.info(`${signal}, closing`);
    drain();
  };
  signals.on('SIGTERM', () => stop('SIGTERM'));
  signals.on('SIGINT', () => stop('SIGINT'));
  return {
    get stopping() {
      return stopping;
    },
  };
}
