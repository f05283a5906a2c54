/** graphql-armor's rejection callbacks, reporting its plain "Syntax Error: ..." as a coded error of the catalog. */
import type { GraphQLError, ValidationContext } from 'graphql';
import { requestRefused } from '../errors.ts';

type ArmorCode = 'TOKEN_LIMIT_EXCEEDED' | 'DEPTH_LIMIT_EXCEEDED' | 'ALIAS_LIMIT_EXCEEDED' | 'DIRECTIVE_LIMIT_EXCEEDED';

/** Options for an armor rule or parser; `advice` ends the message. Parser-level checks (no validation context) throw. */
export function armorReport(code: ArmorCode, advice: string) {
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
