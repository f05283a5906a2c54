/**
 * Composes the shipped example supergraph (predictql + the example "endpoints" subgraph that owns
 * `Endpoint`, schema/example-endpoints.graphql) into schema/supergraph.graphql; with --check,
 * fails if the committed file differs or composition reports errors. The URLs are those of the
 * local example: predictql on :4000 (`npm start`), endpoints on :4001
 * (`node test/federation/endpoints-subgraph.ts`).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { printCurrentSchema } from './print-schema.ts';
import { isMain, writeOrCheck } from './write-or-check.ts';

export const supergraphFile = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));
export const exampleEndpointsSdlFile = fileURLToPath(new URL('../schema/example-endpoints.graphql', import.meta.url));

export const EXAMPLE_SUBGRAPH_URLS = {
  predictql: 'http://localhost:4000/graphql',
  endpoints: 'http://localhost:4001/graphql',
} as const;

export interface SubgraphSdl {
  name: string;
  url: string;
  sdl: string;
}

export type Composition = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

/** Composes subgraph SDLs (as `_service { sdl }` gives them) with the Guild's Federation v2 composition. */
export function composeSupergraph(subgraphs: readonly SubgraphSdl[]): Composition {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors && result.errors.length > 0) return { ok: false, errors: result.errors.map((e) => e.message) };
  return { ok: true, supergraphSdl: `${result.supergraphSdl}\n` };
}

/** The example supergraph: predictql's printed subgraph SDL with the example endpoints subgraph. */
export async function composeExampleSupergraph(): Promise<Composition> {
  return composeSupergraph([
    { name: 'predictql', url: EXAMPLE_SUBGRAPH_URLS.predictql, sdl: await printCurrentSchema() },
    { name: 'endpoints', url: EXAMPLE_SUBGRAPH_URLS.endpoints, sdl: await readFile(exampleEndpointsSdlFile, 'utf8') },
  ]);
}

if (isMain(import.meta.url)) {
  const composition = await composeExampleSupergraph();
  if (!composition.ok) {
    console.error(`The example supergraph does not compose:\n${composition.errors.map((e) => `  - ${e}`).join('\n')}`);
    process.exit(1);
  }
  await writeOrCheck(supergraphFile, composition.supergraphSdl, 'npm run supergraph');
}
