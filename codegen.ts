/**
 * GraphQL Code Generator: typed documents for the operations in schema/operations/, used by the
 * integration tests. `npm run codegen` writes test/generated/; `npm run codegen:check` fails if
 * that output is stale against schema/schema.graphql or the operations.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['schema/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: {
        // Only typed documents: no fragment masking helpers (the tests read results directly).
        fragmentMasking: false,
        gqlTagName: 'graphql',
      },
      config: {
        // NodeNext + verbatimModuleSyntax: import with explicit extensions, no CommonJS-style paths.
        emitLegacyCommonJSImports: false,
        importExtension: '.ts',
        useTypeImports: true,
        // erasableSyntaxOnly: no TypeScript enums in the output.
        enumsAsTypes: true,
        scalars: { ID: 'string' },
        documentMode: 'documentNode',
      },
    },
  },
};

export default config;
