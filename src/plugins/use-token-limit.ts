/**
 * Bounds the parser's work: more lexical tokens than `maxTokens` (graphql-armor's max-tokens) or
 * brackets nested past MAX_PARSER_NESTING refuse the document with 400 TOKEN_LIMIT_EXCEEDED
 * before it is parsed further. graphql-js parses recursively: a few thousand nested `[` (well
 * within the token limit) would overflow the stack.
 */
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import { type ParseOptions, type Source, TokenKind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestRefused } from '../errors.ts';
import { MAX_PARSER_NESTING } from '../request-limits.ts';
import { armorReport } from './armor-report.ts';

export function useTokenLimit(maxTokens: number): Plugin {
  const report = armorReport('TOKEN_LIMIT_EXCEEDED', 'Send inputs as variables, or split the document.');
  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) => new LimitedParser(source, { ...options, n: maxTokens, ...report }).parseDocument());
    },
  };
}

// Private: armor's token-counting parser, also counting bracket nesting.
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
                `Brackets nest deeper than ${MAX_PARSER_NESTING} levels at line ${token.line}, column ${token.column}. ` +
                  `No schema field needs that.`,
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
