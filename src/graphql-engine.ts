/**
 * The GraphQL engines predictql can execute operations with (PREDICTQL_GRAPHQL_ENGINE). Kept
 * apart from the plugin that uses them so that config.ts, below the plugins, can read them.
 */

/** `jit`: graphql-jit, with graphql-js for what it cannot compile; `graphql-js`: the reference interpreter. */
export type GraphQLEngine = 'jit' | 'graphql-js';
export const graphQLEngines: readonly GraphQLEngine[] = ['jit', 'graphql-js'];
export const defaultGraphQLEngine: GraphQLEngine = 'jit';
