/**
 * The GraphiQL page: GraphiQL with predictql's Batches panel (open at start) and a fetcher that
 * asks for the inference report while the panel is open. Options come from the server as JSON in
 * the page (../page.ts).
 */
import 'graphiql/style.css';
import './batches.css';
import './monaco-workers.ts';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import { type GraphiQLPageOptions, PAGE_OPTIONS_ID } from '../page-options.ts';
import { batchesPlugin, isBatchesPanelOpen } from './batches-plugin.tsx';
import { traceFetcher } from './trace-fetcher.ts';

const options = JSON.parse(document.getElementById(PAGE_OPTIONS_ID)?.textContent ?? '{}') as GraphiQLPageOptions;
// GraphiQL is served at the GraphQL endpoint itself (a browser GET of /graphql).
const fetcher = traceFetcher(window.location.pathname, isBatchesPanelOpen);
// Constants: GraphiQL re-applies `plugins` and `visiblePlugin` whenever they change identity.
const plugins = [batchesPlugin];

createRoot(document.getElementById('root')!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={options.defaultQuery}
    initialHeaders={options.headers}
    defaultHeaders={options.headers}
    plugins={plugins}
    visiblePlugin={batchesPlugin}
  />,
);
