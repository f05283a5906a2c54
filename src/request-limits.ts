/**
 * What one client may ask of the server in one request. Every limit is checked before any model
 * runs, so a hostile request costs parsing (bounded by the body and token limits) and no more.
 * The defaults let the shipped examples, GraphiQL (its introspection query has depth 15) and a
 * gateway's 1000-entity `_entities` call through; see docs/security.md.
 */
export interface RequestLimits {
  /** Largest request body, from Content-Length or counted while it streams in (yoga's own check). */
  maxBodyBytes: number;
  /** Most lexical tokens in a document (graphql-armor max-tokens); also bounds the parser's work. */
  maxTokens: number;
  /** Deepest selection (graphql-armor max-depth, fragments flattened, introspection included). */
  maxDepth: number;
  /** Most aliases in an operation (graphql-armor max-aliases, `__typename` aliases counted too). */
  maxAliases: number;
  /** Most directives in a document (graphql-armor max-directives). */
  maxDirectives: number;
  /** Most operations in one HTTP batch (a JSON array body); 0 refuses batches. */
  maxBatchOperations: number;
  /** Largest `first` of a task's examples list. */
  maxPageSize: number;
  /** Most predictions an operation may compute: prediction fields × list sizes, counted before execution. */
  maxPredictionsPerOperation: number;
  /** Most tokens the texts of one operation may take, counted as they are tokenized: a text costs its tokens, not one row. */
  maxTextTokensPerOperation: number;
}

export const defaultRequestLimits: RequestLimits = {
  maxBodyBytes: 4_194_304,
  maxTokens: 50_000,
  maxDepth: 20,
  maxAliases: 2_000,
  maxDirectives: 50,
  maxBatchOperations: 10,
  maxPageSize: 5_000,
  maxPredictionsPerOperation: 10_000,
  // 2048 texts of 128 tokens: a long list of reviews, not a run that pins the model for seconds.
  maxTextTokensPerOperation: 262_144,
};

/**
 * Bracket nesting the parser accepts. graphql-js parses recursively: ~5000 nested `[` overflow the
 * stack. Fixed, far above any real document (a depth-20 selection nests ~25 levels).
 */
export const MAX_PARSER_NESTING = 200;
