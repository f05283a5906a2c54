/**
 * GraphQL Code Generator: typed documents for the operations in schema/operations/, used by the
 * integration tests, and their trusted-documents manifest (test/generated/persisted-documents.json:
 * sha256 hash -> document), which PREDICTQL_TRUSTED_DOCUMENTS can serve. `npm run codegen` writes
 * test/generated/; `npm run codegen:check` fails if that output is stale against
 * schema/schema.graphql or the operations.
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
        // Each document carries its hash (`__meta__.hash`), as the APQ protocol's sha256Hash.
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        // NodeNext + verbatimModuleSyntax: import with explicit extensions, no CommonJS-style paths.
        emitLegacyCommonJSImports: false,
        importExtension: '.ts',
        useTypeImports: true,
        // erasableSyntaxOnly: no TypeScript enums in the output.
        enumsAsTypes: true,
        scalars: { ID: 'string' },
      },
    },
  },
};

export default config;
