/**
 * Compiled execution: each distinct operation is compiled once by graphql-jit (through
 * @envelop/graphql-jit) into a function that resolves the query without graphql-js's per-field
 * interpretation. Measured here: a 1000-item list 2.50 → 0.35 ms, a batched prediction list
 * 5.7 → 2.2 ms (docs/benchmarks.md). An operation graphql-jit cannot compile runs on graphql-js
 * instead of failing: the fallback is counted (`fallbacks`) and its reason logged once per
 * document, so a gap in the compiler costs speed, never an answer.
 *
 * An operation executed a second time also gets graphql-jit's response serializer (compiled from
 * the operation's shape by fast-json-stringify): 0.64 → 0.36 ms for a 1000-item list of
 * predictions, the same bytes. Only from the second time: compiling it costs about 0.6 ms, which
 * one-off documents (a flood of distinct ones included) should not pay.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError, GraphQLError as GraphQLErrorClass } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

export interface CompiledExecutionOptions {
  /** Called once per document graphql-jit cannot compile, with its reason. */
  onFallback?: (reason: string) => void;
  /** The compiler; tests hand in one that fails. Default graphql-jit's compileQuery. */
  compile?: typeof compileQuery;
}

export interface CompiledExecution {
  plugin: Plugin;
  /** Operations executed by graphql-js because graphql-jit could not compile them. */
  readonly fallbacks: number;
}

// Private: what is known of one operation of a document.
interface OperationState {
  compiles: boolean;
  executions: number;
  /** The response serializer, once the operation ran twice; null if it could not be made. */
  stringify?: ((result: ExecutionResult) => string) | null;
}

export function useCompiledExecution(options: CompiledExecutionOptions = {}): CompiledExecution {
  // Per operation of a document. Keyed by the parsed document, which yoga's parser cache keeps
  // while it is in use: the map cannot outgrow that cache.
  const operations = new WeakMap<DocumentNode, Map<string, OperationState>>();
  let fallbacks = 0;
  const compile = options.compile ?? compileQuery;
  const stateOf = (args: ExecutionArgs): OperationState => {
    let byOperation = operations.get(args.document);
    if (!byOperation) {
      byOperation = new Map();
      operations.set(args.document, byOperation);
    }
    const operation = args.operationName ?? '';
    let state = byOperation.get(operation);
    if (!state) {
      let reason: string | undefined;
      try {
        const compiled = compile(args.schema, args.document, args.operationName ?? undefined);
        if (!isCompiledQuery(compiled)) reason = reasonOf((compiled as ExecutionResult).errors);
      } catch (error) {
        // A compiler bug must cost speed, not the answer.
        reason = `graphql-jit threw: ${(error as Error).message}`;
      }
      if (reason !== undefined) options.onFallback?.(reason);
      state = { compiles: reason === undefined, executions: 0 };
      byOperation.set(operation, state);
    }
    return state;
  };
  const canCompile = (args: ExecutionArgs): boolean => {
    const ok = stateOf(args).compiles;
    if (!ok) fallbacks++;
    return ok;
  };
  const serializerOf = (args: ExecutionArgs): ((result: ExecutionResult) => string) | undefined => {
    const state = stateOf(args);
    if (++state.executions < 2) return undefined;
    if (state.stringify === undefined) {
      try {
        const compiled = compile(args.schema, args.document, args.operationName ?? undefined, { customJSONSerializer: true });
        state.stringify = isCompiledQuery(compiled) ? withoutSchemaGaps(compiled.stringify) : null;
      } catch {
        state.stringify = null;
      }
    }
    return state.stringify ?? undefined;
  };
  const jit = useGraphQlJit({}, { enableIf: canCompile, onError: () => {} }) as Plugin;
  const plugin: Plugin = {
    onExecute(payload) {
      const interpret = payload.executeFn;
      // The jit plugin only swaps the execute function (enableIf is synchronous); take the one it
      // would set and wrap it, so the fixes below apply only to what graphql-jit itself answered.
      let compiled: typeof interpret | undefined;
      jit.onExecute!({ ...payload, setExecuteFn: (fn: typeof interpret) => (compiled = fn) } as never);
      if (!compiled) return;
      const run = compiled;
      payload.setExecuteFn((args) => {
        const stringify = serializerOf(args);
        const fix = (result: ExecutionResult): ExecutionResult | Promise<ExecutionResult> => {
          // No data at all: the operation failed before any resolver ran (its variables did not
          // coerce). graphql-jit words those errors its own way, without locations; graphql-js's
          // are the ones clients and the spec know, and cost nothing to produce here.
          if (!('data' in result) && result.errors?.length) return interpret(args) as ExecutionResult | Promise<ExecutionResult>;
          if (!result.errors?.length) return stringify ? Object.assign(result, { stringify }) : result;
          // graphql-js serializes `errors` first, as the spec advises; graphql-jit puts `data` first.
          const { errors, data, ...rest } = result;
          return { errors: errors.some(lacksPositions) ? errors.map((e) => withPositions(e, args.document)) : errors, data, ...rest };
        };
        // The schema has no subscriptions or incremental delivery: one result.
        const result = run(args) as ExecutionResult | Promise<ExecutionResult>;
        return isPromiseLike(result) ? Promise.resolve(result).then(fix) : fix(result);
      });
    },
  };
  return {
    plugin,
    get fallbacks() {
      return fallbacks;
    },
  };
}

// Private: the compiled serializer knows `data` (by the operation's shape) and plain errors; a
// response with errors (GraphQLError objects, whose JSON is their toJSON) goes to JSON.stringify,
// and `extensions` (the inference report), which it does not know, is appended as JSON.
function withoutSchemaGaps(compiled: (result: ExecutionResult) => string): (result: ExecutionResult) => string {
  return (result) => {
    if (result.errors?.length) return JSON.stringify(result);
    if (!result.extensions) return compiled(result);
    const json = compiled({ data: result.data });
    return `${json.slice(0, -1)},"extensions":${JSON.stringify(result.extensions)}}`;
  };
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

// Private: graphql-jit's errors carry `locations` but no AST nodes or source positions, from which
// yoga rebuilds every error it serializes (so the locations would vanish from the response).
function lacksPositions(error: GraphQLError): boolean {
  return !error.nodes && !error.positions && Boolean(error.locations?.length);
}

function withPositions(error: GraphQLError, document: DocumentNode): GraphQLError {
  const source = document.loc?.source;
  if (!source || !lacksPositions(error)) return error;
  const lineStarts = [0];
  for (let i = 0; i < source.body.length; i++) if (source.body[i] === '\n') lineStarts.push(i + 1);
  const positions = error.locations!.map(({ line, column }) => (lineStarts[line - 1] ?? 0) + column - 1);
  return new GraphQLErrorClass(error.message, {
    source,
    positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
}

function reasonOf(errors: readonly GraphQLError[] | undefined): string {
  return errors?.map((e) => e.message).join('; ') || 'graphql-jit could not compile the operation';
}
