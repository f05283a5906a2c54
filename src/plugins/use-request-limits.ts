/**
 * Refuses, before any model runs, what one client should not be able to ask of a shared server:
 * huge documents (tokens, bracket nesting), deep selections, alias bombs, directive floods,
 * oversized or empty HTTP batches, GET parameters that are not JSON (yoga would answer 500), introspection when it is off, cross-site requests a browser could send
 * without a preflight (CSRF), and bodies of a media type no parser reads. The checks are
 * graphql-armor's, graphql-js' and yoga's; this plugin only gives their errors the stable codes
 * and statuses of the catalog (src/errors.ts). The body size is `useBodySizeLimit`'s
 * and the prediction count `usePredictionCost`.
 */
import { NoSchemaIntrospectionCustomRule, TokenKind, type GraphQLError, type ParseOptions, type Source, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { ErrorCode, requestRefused } from '../errors.ts';
import { MAX_PARSER_NESTING, type RequestLimits } from '../request-limits.ts';

/** The header a GET (or a form/text POST) must carry; any value will do. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

export interface RequestLimitsOptions {
  limits: RequestLimits;
  /** Default true. */
  introspection?: boolean;
}

export function useRequestLimits({ limits, introspection = true }: RequestLimitsOptions): Plugin[] {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  const rules: ValidationRule[] = [
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: false, ...armorReport('DEPTH_LIMIT_EXCEEDED', 'Select less deeply.') }),
    maxAliasesRule({ n: limits.maxAliases, allowList: [], ...armorReport('ALIAS_LIMIT_EXCEEDED', 'Split the operation, or send a list (predictLatencies).') }),
    maxDirectivesRule({ n: limits.maxDirectives, ...armorReport('DIRECTIVE_LIMIT_EXCEEDED', 'Use fewer directives.') }),
  ];
  if (!introspection) rules.push(withCode(NoSchemaIntrospectionCustomRule, 'INTROSPECTION_DISABLED'));
  const plugin: Plugin = {
    onRequestParse(payload) {
      const { request, requestParser } = payload;
      if (request.method === 'POST' && !requestParser) {
        const type = request.headers.get('content-type');
        throw requestRefused(
          'UNSUPPORTED_MEDIA_TYPE',
          `A POST body of type ${type ? JSON.stringify(type) : '(none)'} cannot be read: send application/json (or application/graphql).`,
        );
      }
      if (request.method === 'GET' && requestParser) {
        // yoga's GET parser lets JSON.parse's SyntaxError of `variables`/`extensions` escape: a 500.
        const parse = requestParser;
        payload.setRequestParser(async (req) => {
          try {
            return await parse(req);
          } catch (error) {
            if (!(error instanceof SyntaxError)) throw error;
            throw createGraphQLError(`The variables or extensions parameter is not valid JSON (${error.message}).`, {
              extensions: { code: ErrorCode.BAD_REQUEST, http: { status: 400 } },
            });
          }
        });
      }
      try {
        csrf.onRequestParse?.(payload);
      } catch {
        throw requestRefused(
          'CSRF_HEADER_REQUIRED',
          `This request could come from any web page (a GET, or a POST of a form or plain text): send it with a "${CSRF_HEADER}" header (any value), or POST application/json.`,
        );
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          if (requestParserResult.length === 0) {
            throw createGraphQLError('A batch (a JSON array body) must hold at least one operation.', {
              extensions: { code: ErrorCode.BAD_REQUEST, http: { status: 400 } },
            });
          }
          const max = limits.maxBatchOperations;
          if (max === 0 || requestParserResult.length > max) {
            throw requestRefused(
              'BATCH_LIMIT_EXCEEDED',
              max === 0
                ? 'Batched requests (a JSON array of operations) are turned off on this server: send one operation per request.'
                : `A batch may hold at most ${max} operations; this one has ${requestParserResult.length}. Send several smaller batches.`,
              { limit: max },
            );
          }
        },
      };
    },
    onParse({ setParseFn }) {
      setParseFn((source, options) => new LimitedParser(source, { ...options, n: limits.maxTokens, ...armorReport('TOKEN_LIMIT_EXCEEDED', 'Send inputs as variables, or split the document.') }).parseDocument());
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
  };
  // Suggestions ("Did you mean ...") would reveal the schema that introspection hides.
  return introspection ? [plugin] : [plugin, blockFieldSuggestionsPlugin() as Plugin];
}

// Private: armor's callbacks report its plain "Syntax Error: ..." as a coded error of the catalog.
// Parser-level checks (no validation context) throw it instead.
function armorReport(code: ErrorCode & ('TOKEN_LIMIT_EXCEEDED' | 'DEPTH_LIMIT_EXCEEDED' | 'ALIAS_LIMIT_EXCEEDED' | 'DIRECTIVE_LIMIT_EXCEEDED'), advice: string) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const refused = requestRefused(code, `${error.message.replace(/^Syntax Error: /, '')} ${advice}`);
        if (!context) throw refused;
        context.reportError(refused);
      },
    ],
  };
}

// Private: a rule whose reports carry `code` (and its status).
function withCode(rule: ValidationRule, code: 'INTROSPECTION_DISABLED'): ValidationRule {
  return (context) =>
    rule(Object.create(context, { reportError: { value: (error: GraphQLError) => context.reportError(requestRefused(code, error.message)) } }) as ValidationContext);
}

/**
 * armor's token-counting parser, also refusing bracket nesting past MAX_PARSER_NESTING: graphql-js
 * parses recursively, and a few thousand nested `[` (well within the token limit) overflow the stack.
 */
class LimitedParser extends MaxTokensParserWLexer {
  constructor(source: string | Source, options: ConstructorParameters<typeof MaxTokensParserWLexer>[1] & ParseOptions) {
    super(source, options);
    let depth = 0;
    const counting = this._lexer;
    this._lexer = new Proxy(counting, {
      get(target, prop, receiver) {
        if (prop !== 'advance') return Reflect.get(target, prop, receiver);
        return () => {
          const token = target.advance();
          const kind = token.kind;
          if (kind === TokenKind.BRACE_L || kind === TokenKind.BRACKET_L || kind === TokenKind.PAREN_L) {
            if (++depth > MAX_PARSER_NESTING) {
              throw requestRefused(
                'TOKEN_LIMIT_EXCEEDED',
                `Brackets nest deeper than ${MAX_PARSER_NESTING} levels at line ${token.line}, column ${token.column}. No schema field needs that.`,
              );
            }
          } else if (kind === TokenKind.BRACE_R || kind === TokenKind.BRACKET_R || kind === TokenKind.PAREN_R) {
            depth--;
          }
          return token;
        };
      },
    });
  }
}
