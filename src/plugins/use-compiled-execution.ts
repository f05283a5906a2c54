/**
 * Compiled execution: each distinct operation is compiled once by graphql-jit into a function that
 * resolves it without graphql-js's per-field interpretation (npm run bench: a 1000-item list 3.9×,
 * the batched prediction list 2.3× cheaper). An operation graphql-jit cannot compile runs on
 * graphql-js instead of failing: the fallback is counted (`fallbacks`) and its reason logged once
 * per document, so a gap in the compiler costs speed, never an answer. (Not @envelop/graphql-jit:
 * it compiles on its own, so every new document would be compiled twice.) *
 * An operation executed a second time also gets graphql-jit's response serializer (compiled from
 * the operation's shape by fast-json-stringify): 0.64 → 0.36 ms for a 1000-item list of
 * predictions, the same bytes. Only from the second time: compiling it costs about 0.6 ms, which
 * one-off documents (a flood of distinct ones included) should not pay.
 */
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError, GraphQLError as GraphQLErrorClass } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
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
  /** The compiled operation, or null when graphql-jit could not compile it (graphql-js runs it). */
  compiled: CompiledQuery | null;
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
  const compileOrNull = (args: ExecutionArgs, compilerOptions?: Parameters<typeof compileQuery>[3]): CompiledQuery | string => {
    try {
      const compiled = compile(args.schema, args.document, args.operationName ?? undefined, compilerOptions);
      return isCompiledQuery(compiled) ? compiled : reasonOf((compiled as ExecutionResult).errors);
    } catch (error) {
      // A compiler bug must cost speed, not the answer.
      return `graphql-jit threw: ${(error as Error).message}`;
    }
  };
  const stateOf = (args: ExecutionArgs): OperationState => {
    let byOperation = operations.get(args.document);
    if (!byOperation) {
      byOperation = new Map();
      operations.set(args.document, byOperation);
    }
    const operation = args.operationName ?? '';
    let state = byOperation.get(operation);
    if (!state) {
      const compiled = compileOrNull(args);
      if (typeof compiled === 'string') options.onFallback?.(compiled);
      state = { compiled: typeof compiled === 'string' ? null : compiled, executions: 0 };
      byOperation.set(operation, state);
    }
    return state;
  };
  // From the second execution, the operation compiled again with its serializer (once).
  const serializerOf = (state: OperationState, args: ExecutionArgs): ((result: ExecutionResult) => string) | undefined => {
    if (++state.executions < 2) return undefined;
    if (state.stringify === undefined) {
      const compiled = compileOrNull(args, { customJSONSerializer: true });
      state.stringify = typeof compiled === 'string' ? null : withoutSchemaGaps(compiled.stringify);
    }
    return state.stringify ?? undefined;
  };
  const plugin: Plugin = {
    onExecute(payload) {
      const state = stateOf(payload.args);
      const compiled = state.compiled;
      if (!compiled) {
        fallbacks++;
        return;
      }
      const interpret = payload.executeFn;
      payload.setExecuteFn((args) => {
        const stringify = serializerOf(state, args);
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
        const result = compiled.query(args.rootValue, args.contextValue, args.variableValues) as ExecutionResult | Promise<ExecutionResult>;
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
