/**
 * The one Pothos builder of a schema. The schema depends on the prediction task (input fields
 * come from the model manifest), so the builder is made per `buildSchema` call and handed to
 * one definition function per type.
 */
import SchemaBuilder from '@pothos/core';
// Federation prints @key/@external/@requires through the directives plugin: without it they vanish.
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import TracingPlugin from '@pothos/plugin-tracing';
import type { PredictQLContext } from './context.ts';
import { timePredictionResolver } from './time-prediction-resolver.ts';

export interface BuilderTypes {
  Context: PredictQLContext;
  // The fields of an entity's nested objects that predictql reads are @external (entities.ts).
  Directives: { external: { locations: 'FIELD_DEFINITION'; args: Record<string, never> } };
  DefaultFieldNullability: false;
  Tracing: boolean;
}

export function createBuilder() {
  return new SchemaBuilder<BuilderTypes>({
    // Federation after the plugins that wrap resolvers (its docs say so).
    plugins: [TracingPlugin, DirectivePlugin, FederationPlugin],
    // Non-null unless said otherwise; prediction fields opt in to null so an error stays on its field.
    defaultFieldNullability: false,
    tracing: {
      // Only fields marked `tracing: true` (the prediction fields) are wrapped.
      default: false,
      wrap: (resolver, _options, config) => timePredictionResolver(resolver, `${config.parentType}.${config.name}`),
    },
  });
}

export type Builder = ReturnType<typeof createBuilder>;
