/**
 * Validation rules that refuse expensive or revealing operations before they run: selections
 * deeper than `maxDepth`, more aliases than `maxAliases`, more directives than `maxDirectives`
 * (graphql-armor's rules), and introspection when it is off (graphql-js' rule; field suggestions
 * are then blocked too, since "Did you mean ..." would reveal what introspection hides).
 */

import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { type GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { requestRefused } from '../errors.ts';
import type { RequestLimits } from '../request-limits.ts';
import { armorReport } from './armor-report.ts';

export interface ValidationLimitsOptions {
  limits: Pick<RequestLimits, 'maxDepth' | 'maxAliases' | 'maxDirectives'>;
  /** Default true. */
  introspection?: boolean;
}

export function useValidationLimits({ limits, introspection = true }: ValidationLimitsOptions): Plugin[] {
  const rules: ValidationRule[] = [
    maxDepthRule({
      n: limits.maxDepth,
      flattenFragments: true,
      ignoreIntrospection: false,
      ...armorReport('DEPTH_LIMIT_EXCEEDED', 'Select less deeply.'),
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      allowList: [],
      ...armorReport('ALIAS_LIMIT_EXCEEDED', 'Split the operation, or send a list as a variable.'),
    }),
    maxDirectivesRule({ n: limits.maxDirectives, ...armorReport('DIRECTIVE_LIMIT_EXCEEDED', 'Use fewer directives.') }),
  ];
  if (!introspection) rules.push(introspectionDisabled);
  const plugin: Plugin = {
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
  };
  return introspection ? [plugin] : [plugin, blockFieldSuggestionsPlugin() as Plugin];
}

// Private: graphql-js' rule, its reports carrying INTROSPECTION_DISABLED (and its status).
const introspectionDisabled: ValidationRule = (context) =>
  NoSchemaIntrospectionCustomRule(
    Object.create(context, {
      reportError: { value: (error: GraphQLError) => context.reportError(requestRefused('INTROSPECTION_DISABLED', error.message)) },
    }) as ValidationContext,
  );
