/**
 * What the server tells the GraphiQL page, as JSON inside it: the page's bundle reads it at start.
 * Shared by the server (page.ts) and the browser code (browser/main.tsx).
 */

export interface GraphiQLPageOptions {
  title: string;
  /** The query of a first visit. */
  defaultQuery?: string;
  /** The header editor's text (JSON). */
  headers?: string;
}

/** The id of the `<script type="application/json">` element that holds the options. */
export const PAGE_OPTIONS_ID = 'predictql-graphiql-options';
