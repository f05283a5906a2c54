/**
 * The hostile-request corpus (corpus.json): each case is a request as data (method, headers, a
 * body as text, JSON, base64 or a generator of generators.ts) and the status and `extensions.code`
 * it must get. `send` turns a case into a real HTTP request.
 */
import { readFileSync } from 'node:fs';
import { generators } from './generators.ts';

export interface HostileCase {
  name: string;
  category: string;
  method?: string;
  /** Header values; null removes a default header (content-type, accept). */
  headers?: Record<string, string | null>;
  /** GET query-string parameters. */
  params?: Record<string, string>;
  body?: string;
  json?: unknown;
  bodyBase64?: string;
  /** JSON.stringify(json) with one substring replaced (for what JSON.stringify cannot write, e.g. 1e400). */
  bodyReplace?: { json: unknown; from: string; to: string };
  generate?: keyof typeof generators;
  n?: number;
  /** `code` null: the answer has no GraphQL error (a 2xx with data, or a bare HTTP status). */
  expect: { status: number; code: string | null };
}

export const corpus: HostileCase[] = JSON.parse(readFileSync(new URL('./corpus.json', import.meta.url), 'utf8')) as HostileCase[];

export interface Outcome {
  status: number;
  /** The first `extensions.code` of the answer (of any operation, for a batch), or null. */
  code: string | null;
  ms: number;
}

export async function send(url: string, c: HostileCase): Promise<Outcome> {
  const method = c.method ?? 'POST';
  // A GET carries no content-type, as a browser's and urql's.
  const headers: Record<string, string> =
    method === 'GET' ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' };
  for (const [key, value] of Object.entries(c.headers ?? {})) {
    if (value === null) delete headers[key];
    else headers[key] = value;
  }
  const target = new URL(url);
  for (const [key, value] of Object.entries(c.params ?? {})) target.searchParams.set(key, value);
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET') init.body = body(c) as BodyInit;
  if (init.body instanceof ReadableStream) init.duplex = 'half';
  const start = performance.now();
  const response = await fetch(target, init);
  const text = await response.text();
  return { status: response.status, code: firstCode(text), ms: performance.now() - start };
}

// Private: a Buffer, not a string, so fetch adds no content-type of its own.
function body(c: HostileCase): Uint8Array | ReadableStream<Uint8Array> {
  if (c.generate) {
    const generated = generators[c.generate]!(c.n ?? 1);
    return typeof generated.body === 'string' ? Buffer.from(generated.body) : generated.body;
  }
  if (c.bodyBase64 !== undefined) return Buffer.from(c.bodyBase64, 'base64');
  if (c.bodyReplace) return Buffer.from(JSON.stringify(c.bodyReplace.json).replace(c.bodyReplace.from, c.bodyReplace.to));
  if (c.json !== undefined) return Buffer.from(JSON.stringify(c.json));
  return Buffer.from(c.body ?? '');
}

function firstCode(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  for (const result of Array.isArray(parsed) ? parsed : [parsed]) {
    const errors = (result as { errors?: { extensions?: { code?: string } }[] } | null)?.errors;
    if (errors?.length) return errors[0]!.extensions?.code ?? 'NO_CODE';
  }
  return null;
}
