/**
 * A binding of a model other than the shipped example: customer-churn (a classifier with
 * categorical, boolean and integer features) adds `churnRisk` to a `Customer` another subgraph
 * owns. Categories arrive as String fields, two features sit in a nested object (`usage { seats
 * openTickets }`), one is a constant of the binding, one is left to its manifest default. Behind
 * Hive Gateway with the owner subgraph, N customers become one `_entities` call and one model
 * run whose answers equal predictChurn's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { afterAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../scripts/compose-supergraph.ts';
import { loadServices } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { errorsByPath, type Fetcher, send } from '../support/graphql.ts';
import { CHURN, examplesOf } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';
import { entitiesCalls, servedSdl, startFederation } from './federation.ts';

const customersSdl = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Customer @key(fields: "id") {
    id: ID!
    name: String!
    monthsActive: Int!
    spendUsd: Float!
    usage: CustomerUsage!
    renewsAutomatically: Boolean!
    planName: String!
  }
  type CustomerUsage {
    seats: Int!
    openTickets: Int!
    storageGb: Float!
  }
  type Query { customers: [Customer!]! }
`;

const churnBinding = {
  entity: 'Customer',
  key: 'id',
  model: CHURN,
  field: 'churnRisk',
  features: {
    tenureMonths: { field: 'monthsActive', type: 'Int!' },
    monthlySpend: 'spendUsd',
    seats: { field: 'usage.seats', type: 'Int!' },
    supportTickets90d: { field: 'usage.openTickets', type: 'Int!' },
    autoRenew: { field: 'renewsAutomatically', type: 'Boolean!' },
    plan: { field: 'planName', type: 'String!' },
    region: { const: 'EU' },
    // lastLoginDaysAgo is left out: its manifest default (7) applies.
  },
  objects: { usage: 'CustomerUsage!' },
};

const dirs: string[] = [];
async function bindingsFile(...bindings: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'predictql-churn-binding-'));
  dirs.push(dir);
  const file = join(dir, 'bindings.json');
  await writeFile(file, JSON.stringify({ bindings }));
  return file;
}

interface Outcome {
  outcome: string;
  probabilities: { label: string; probability: number }[];
}

afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describe.each(servingModes)('$name', (mode) => {
  let predictql: Fetcher;
  let probes: Probes;
  serveDuringSuite(
    mode,
    (app) => ({ yoga: predictql, probes } = app),
    async () => ({ PREDICTQL_ENTITY_BINDINGS: await bindingsFile(churnBinding) }),
  );

  const customers = examplesOf('churn.examples.json')
    .slice(0, 50)
    .map(({ id, features: f }) => ({
      __typename: 'Customer',
      id,
      monthsActive: f.tenureMonths,
      spendUsd: f.monthlySpend,
      usage: { seats: f.seats, openTickets: f.supportTickets90d, storageGb: 1.5 },
      renewsAutomatically: f.autoRenew,
      planName: f.plan,
    }));

  describe('a churn classifier bound to Customer', () => {
    it('composes with the subgraph that owns Customer; its features are @external, churnRisk @requires them', async () => {
      const sdl = await servedSdl(predictql, 'http://predictql/graphql');
      expect(sdl).toMatch(/renewsAutomatically: Boolean! @external/);
      expect(sdl).toMatch(/usage: CustomerUsage! @external/);
      expect(sdl).toMatch(/type CustomerUsage \{\s+seats: Int! @external\s+openTickets: Int! @external\s+\}/);
      expect(sdl).toMatch(/planName: String! @external/);
      expect(sdl).toMatch(
        /churnRisk: ChurnPrediction @requires\(fields: "monthsActive spendUsd usage \{ seats openTickets \} renewsAutomatically planName"\)/,
      );
      const composition = composeSupergraph([
        { name: 'predictql', url: 'http://predictql/graphql', sdl },
        { name: 'customers', url: 'http://customers/graphql', sdl: customersSdl },
      ]);
      expect(composition.ok ? [] : composition.errors).toEqual([]);
    });

    it('50 customers in one _entities call are one run, equal to predictChurn with region EU and lastLoginDaysAgo 7', async () => {
      const query =
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id churnRisk { outcome probabilities { label probability } } } } }';
      const { result, runs } = await probes.counted(() =>
        send<{ _entities: { id: string; churnRisk: Outcome }[] }>(predictql, query, { r: customers }),
      );
      expect(result.errors).toBeUndefined();
      // Customers whose features are equal (region and lastLoginDaysAgo are the same for all) share one row.
      const distinct = new Set(customers.map(({ id: _id, ...features }) => JSON.stringify(features))).size;
      expect(distinct).toBeLessThan(customers.length);
      expect(runs[CHURN]).toEqual({ runs: 1, items: distinct, failedRuns: 0 });

      const inputs = customers.map((c) => ({
        tenureMonths: c.monthsActive,
        monthlySpend: c.spendUsd,
        seats: c.usage.seats,
        supportTickets90d: c.usage.openTickets,
        autoRenew: c.renewsAutomatically,
        plan: c.planName,
        region: 'EU',
        lastLoginDaysAgo: 7,
      }));
      const direct = await send<{ predictChurns: Outcome[] }>(
        predictql,
        'query ($i: [ChurnInput!]!) { predictChurns(inputs: $i) { outcome probabilities { label probability } } }',
        { i: inputs },
      );
      expect(direct.errors).toBeUndefined();
      expect(result.data!._entities.map((e) => e.churnRisk)).toEqual(direct.data!.predictChurns);
    });

    it('a plan the model does not know fails that customer only, naming the entity field', async () => {
      const representations = customers.slice(0, 3).map((c, i) => (i === 1 ? { ...c, planName: 'PLATINUM' } : c));
      const result = await send<{ _entities: ({ churnRisk: Outcome | null } | null)[] }>(
        predictql,
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { churnRisk { outcome } } } }',
        { r: representations },
      );
      expect(result.data!._entities.map((e) => e?.churnRisk === null)).toEqual([false, true, false]);
      const error = errorsByPath(result).get('_entities.1.churnRisk')!;
      expect(error.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        entityFields: ['Customer.planName'],
        problems: [{ feature: 'plan', value: 'PLATINUM', reason: 'must be one of FREE, TEAM, BUSINESS, ENTERPRISE' }],
      });
    });
  });

  describe('behind Hive Gateway, with the subgraph that owns Customer', () => {
    it('every customer of a list gets churnRisk from one _entities call and one run; a bad nested field fails its customer only', async () => {
      const owned = customers.map(({ __typename: _t, ...c }, i) => ({
        ...c,
        name: `Customer ${i}`,
        // One customer with more tickets than the model's range [0, 100]: only its churnRisk fails.
        ...(i === 7 ? { usage: { ...c.usage, openTickets: 1000 } } : {}),
      }));
      const schema = buildSubgraphSchema({
        typeDefs: parse(customersSdl),
        resolvers: { Query: { customers: () => owned } } as never,
      });
      const owner = createYoga({ schema, graphqlEndpoint: '/graphql', landingPage: false, logging: false });
      const federation = await startFederation([predictql], owner);
      try {
        const { result, runs } = await probes.counted(() =>
          federation.query<{ customers: { id: string; name: string; churnRisk: Outcome | null }[] }>(
            '{ customers { id name churnRisk { outcome probabilities { label probability } } } }',
          ),
        );
        expect(entitiesCalls(federation.calls)).toHaveLength(1);
        expect(entitiesCalls(federation.calls)[0]!.representations).toBe(customers.length);
        const distinct = new Set(owned.map(({ id: _id, name: _name, ...features }) => JSON.stringify(features))).size;
        expect(runs[CHURN]).toEqual({ runs: 1, items: distinct - 1, failedRuns: 0 });

        const direct = await send<{ _entities: { churnRisk: Outcome }[] }>(
          predictql,
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { churnRisk { outcome probabilities { label probability } } } } }',
          { r: customers },
        );
        const answers = result.data!.customers.map((c) => c.churnRisk);
        expect(answers.filter((_, i) => i !== 7)).toEqual(direct.data!._entities.map((e) => e.churnRisk).filter((_, i) => i !== 7));
        expect(answers[7]).toBeNull();
        expect(result.errors).toHaveLength(1);
        const error = result.errors![0]!;
        expect(error.message).toContain(`Customer { id: "${owned[7]!.id}" } cannot be predicted from Customer.usage.openTickets.`);
        expect(error.extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          entityFields: ['Customer.usage.openTickets'],
          problems: [{ feature: 'supportTickets90d', value: 1000, reason: 'must be within [0, 100] count' }],
        });
        // Hive Gateway drops the list index from the path of an error raised in a subgraph entity.
        expect([error.path?.[0], error.path?.at(-1)]).toEqual(['customers', 'churnRisk']);
      } finally {
        await federation.close();
      }
    });
  });

  describe('a binding is refused at start', () => {
    const refusal = async (binding: unknown) => {
      const file = await bindingsFile(binding);
      const error = await loadServices(readConfig({ PREDICTQL_ENTITY_BINDINGS: file }), () => {}).then(
        () => undefined,
        (e: Error) => e.message.replace(`${file}: `, ''),
      );
      return error;
    };

    it('when a constant is not a value the model accepts, by its codec', async () => {
      expect(await refusal({ ...churnBinding, features: { ...churnBinding.features, region: { const: 'MARS' } } })).toBe(
        'bindings[0].features.region.const must be one of NA, EU, APAC, LATAM (model "customer-churn"), but got: "MARS"',
      );
    });

    it('when an entity field type cannot feed the feature', async () => {
      expect(
        await refusal({
          ...churnBinding,
          features: { ...churnBinding.features, autoRenew: { field: 'renewsAutomatically', type: 'Int!' } },
        }),
      ).toBe(
        'bindings[0].features.autoRenew feeds a bool feature of model "customer-churn", so Customer.renewsAutomatically must be of ' +
          'type Boolean! or Boolean, but got: Int!',
      );
    });

    it('when a feature without a default is neither mapped nor constant', async () => {
      const { region: _region, ...features } = churnBinding.features;
      expect(await refusal({ ...churnBinding, features })).toBe(
        'bindings[0].features must map every feature of model "customer-churn" without a default to a field of Customer ' +
          'or a { "const": value }, but lacks: region',
      );
    });
  });
});
