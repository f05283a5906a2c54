/**
 * What the owner thread (models, batchers) and the GraphQL threads say to each other. Two
 * channels per GraphQL thread: its worker port for its life (start, serve, drain, close, metrics),
 * and a MessagePort of its own for predictions (remote-predictor.ts ↔ prediction-bridge.ts).
 * Everything here survives structured clone; typed arrays are transferred, never shared.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../config.ts';
import type { JobResult, ModelViewData, TensorData } from '../inference/index.ts';
import type { SpanContextData } from '../opentelemetry/batch-spans.ts';

/** workerData of a GraphQL thread. */
export interface GraphQLThreadData {
  /** 1..N: the `x-predictql-thread` header of its responses, and its name in logs. */
  index: number;
  config: Config;
  /** Its prediction channel to the owner. */
  predictions: MessagePort;
  /** Requests in flight per thread (slot `index - 1`), for the owner's shutdown message. */
  inFlight: Int32Array;
}

/** A prediction job, one per model per request tick: the request's rows, packed by its loader in the GraphQL thread. */
export interface PredictMessage {
  id: number;
  model: string;
  /** The version whose codec packed the rows (for messages), and its load: the owner runs the job on that load only. */
  version: number;
  loadId: number;
  rows: number;
  /** One array per input tensor holding every row (transferred, so copied nowhere). */
  inputs: TensorData[];
  /** A text model's tokens per row (its ids are ragged until a run pads them). */
  lengths?: Int32Array;
  /** Unique across threads: `<thread>.<request>`. */
  requestId: string;
  /** When the request first asked for a row of the job, on the process-wide clock (monotonic-clock.ts). */
  enqueuedAtMs: number;
  /** The request's operation span, when it is traced. */
  trace?: SpanContextData;
}

/**
 * A GraphQL thread serves the models the owner last published (`publish-models`), and no request
 * of it holds the previous set any more: sent on the prediction port, after every job encoded for
 * the previous set, so the owner may retire what it no longer serves.
 */
export interface SwitchedMessage {
  switched: number;
}

/**
 * The answer to a job: its result as in process (the run records' `startedAtMs` on the
 * process-wide clock), or its refusal before anything ran.
 */
export type PredictReply =
  | { id: number; ok: true; result: JobResult }
  | {
      id: number;
      ok: false;
      /** Refused before running: OVERLOADED (queue full, queue timeout, shutting down), or an unknown model. */
      refusal: { message: string; overload?: { reason: 'queue-full' | 'queue-timeout' | 'shutting-down'; retryAfterMs: number } };
    };

/** Owner → GraphQL thread, on the worker port. */
export type OwnerMessage =
  | { type: 'listen'; port: number; host: string }
  /** Every served version of every model, and each model's default version (by name). */
  | { type: 'models'; models: ModelViewData[]; defaults: [string, number][] }
  /** A reload: serve these from now on, then say `switched` with `generation` on the prediction port. */
  | { type: 'publish-models'; generation: number; models: ModelViewData[]; defaults: [string, number][]; retireWaitMs: number }
  | { type: 'serve' }
  | { type: 'drain' }
  | { type: 'close' }
  | { type: 'close-connections' }
  | { type: 'collect-metrics'; id: number }
  /** The answer to a scrape: the owner's metrics as text, every serving thread's as JSON. */
  | { type: 'metrics'; id: number; owner: string; threads: unknown[][] };

/** GraphQL thread → owner, on the worker port. */
export type ThreadMessage =
  | { type: 'listening'; port: number }
  | { type: 'built' }
  | { type: 'serving' }
  | { type: 'failed'; message: string }
  | { type: 'closed' }
  /** A scrape of /metrics landed on this thread: it asks for every thread's and the owner's metrics. */
  | { type: 'scrape'; id: number }
  | { type: 'collected-metrics'; id: number; metrics: unknown[] };
