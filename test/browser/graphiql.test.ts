/**
 * GraphiQL in a real browser (Debian's Chromium, headless, driven by playwright-core): the page
 * served at /graphql renders with no network beyond this server (its bundle is served by it, no
 * CDN); its Batches panel draws the runs of the response it got, as `extensions.inference` tells
 * them; a field chip highlights that field's paths in the result, and a click on a prediction in
 * the result names its run; the trace header is sent whenever the panel is open. Screenshots are
 * kept in test-artifacts/ (their paths are printed).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOptions, createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import type { InferenceReport, TracedBatch } from '../../src/inference-report/inference-report.ts';
import { repoRoot } from '../support/node.ts';

const CHROMIUM = process.env.PREDICTQL_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot, 'test-artifacts');

// Two models, a list and aliases: one run per model, fields of two coordinates in the first.
const inputs = (payloadKb: number) =>
  `{ payloadKb: ${payloadKb}, concurrency: 8, cpuUtilization: 0.35, memoryUtilization: 0.5, cacheHitRatio: 0.9, dbQueries: 4, downstreamCalls: 1, hourOfDay: 14 }`;
const TWO_MODELS_QUERY = `{
  sampleRequests(first: 4) { id predictedLatency { p50Ms p95Ms } }
  quiet: predictLatency(input: ${inputs(12)}) { p50Ms }
  heavy: predictLatency(model: "request-latency-gbdt", input: ${inputs(2048)}) { p50Ms p95Ms }
}`;

interface TracedResponse {
  data: Record<string, unknown>;
  extensions: { inference: InferenceReport };
}

let services: Services;
let server: Server;
let origin: string;
let profileDir: string;
let browser: BrowserContext;
/** Every URL the pages asked for that is not this server's. */
const foreign: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium; .ci/run does) or set PREDICTQL_CHROMIUM.`);
  }
  services = await loadServices(readConfig({}));
  server = createServer(createApp(appOptions(services)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profileDir = await mkdtemp(join(tmpdir(), 'predictql-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  // A persistent context is how playwright takes a --user-data-dir of our own (a fresh, empty one).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      // This machine's network is closed: without these Chromium keeps trying Google's hosts.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  browser.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) foreign.push(url);
  });
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await services?.inference.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

async function openGraphiQL(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${origin}/graphql`, { waitUntil: 'load' });
  await page.locator('.graphiql-execute-button').waitFor({ state: 'visible', timeout: 30_000 });
  // The panel is open from the start, waiting for a first response.
  await page.locator('.predictql-batches').waitFor({ state: 'visible', timeout: 15_000 });
  return page;
}

/** Clicks Run and returns the response to the query (not GraphiQL's schema introspection). */
async function run(page: Page): Promise<Response> {
  const answered = page.waitForResponse(
    (r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST' && !r.request().postData()?.includes('IntrospectionQuery'),
  );
  await page.locator('.graphiql-execute-button').click();
  const response = await answered;
  expect(response.status(), `${response.request().postData()} → ${await response.text()}`).toBe(200);
  return response;
}

/** Replaces an editor's text by pasting it, as a person would (typed text gets brackets closed and lines indented). */
async function replaceText(page: Page, editor: string, text: string): Promise<void> {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.locator(editor).locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
}

/** What the panel must say for a report: Σ loads fields, one run per batch, Σ items rows per model. */
function expectedVerdict(batches: TracedBatch[]): string {
  const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const rows = new Map<string, number>();
  for (const b of [...batches].sort((x, y) => x.startedAtMs - y.startedAtMs || x.runId - y.runId))
    rows.set(b.model, (rows.get(b.model) ?? 0) + b.items);
  const loads = batches.reduce((n, b) => n + b.loads, 0);
  const models = [...rows].map(([model, n]) => `${model} ${plural(n, 'row')}`).join(', ');
  return `${plural(loads, 'prediction field')} → ${plural(batches.length, 'run')} (${models})`;
}

/** The panel's timeline rows and run cards agree with the report's batches, figure by figure. */
async function expectPanelToDraw(page: Page, batches: TracedBatch[]): Promise<void> {
  const panel = page.locator('.predictql-batches');
  await expect.poll(() => panel.getByTestId('batches-verdict').innerText(), { timeout: 15_000 }).toBe(expectedVerdict(batches));
  const rows = panel.locator('.predictql-timeline-row[data-run-id]');
  await expect.poll(() => rows.count()).toBe(batches.length);
  for (const b of batches) {
    const row = panel.locator(`.predictql-timeline-row[data-run-id="${b.runId}"]`);
    expect(await row.getAttribute('data-model')).toBe(b.model);
    expect(await row.getAttribute('data-executor')).toBe(b.executor);
    expect(await row.getAttribute('data-provider')).toBe(b.executionProvider);
    expect(await row.getAttribute('data-shared')).toBe(String(b.requests > 1 || b.size > b.items));
    const card = panel.locator(`.predictql-run[data-run-id="${b.runId}"]`);
    expect(await card.locator('[data-figure="size"]').innerText()).toBe(String(b.size));
    expect(await card.locator('[data-figure="items"]').innerText()).toBe(String(b.items));
    expect(await card.locator('[data-figure="requests"]').innerText()).toBe(String(b.requests));
    const chips = await card.locator('.predictql-chip').evaluateAll((els) => els.map((el) => el.getAttribute('data-coordinate')));
    expect(chips.sort()).toEqual(Object.keys(b.fields).sort());
  }
}

describe('GraphiQL in Chromium', () => {
  it('runs the default query; the Batches panel draws its runs as extensions.inference tells them', async () => {
    const page = await openGraphiQL();
    await expect.poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 15_000 }).toContain('sampleRequests');
    const response = await run(page);
    expect(response.request().headers()['x-predictql-trace']).toBe('1');
    const body = (await response.json()) as TracedResponse;
    expect(body.extensions.inference.batches.length).toBeGreaterThan(0);
    await expectPanelToDraw(page, body.extensions.inference.batches);

    // The result pane still shows the response (its editor draws only the lines in view: the first field).
    const result = page.locator('.graphiql-response');
    const first = Object.keys((body as unknown as { data: Record<string, unknown> }).data)[0]!;
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain(`"${first}"`);
    await screenshot(page, 'graphiql-default-query');
    await page.close();
  });

  it('draws one run per model for two models, a list and aliases; a chip highlights its paths, a click in the result names its run', async () => {
    const page = await openGraphiQL();
    await replaceText(page, '.graphiql-query-editor', TWO_MODELS_QUERY);
    const body = (await (await run(page)).json()) as TracedResponse;
    const { batches } = body.extensions.inference;
    expect(batches.map((b) => b.model).sort()).toEqual(['request-latency', 'request-latency-gbdt']);
    await expectPanelToDraw(page, batches);
    const panel = page.locator('.predictql-batches');
    expect(await panel.getByTestId('batches-verdict').innerText()).toBe(
      '6 prediction fields → 2 runs (request-latency 5 rows, request-latency-gbdt 1 row)',
    );
    expect(await panel.getByTestId('batches-hint').count()).toBe(0);

    // The list's field in the MLP's run: its four paths, listed and highlighted in the result.
    const mlp = batches.find((b) => b.model === 'request-latency')!;
    await panel
      .locator(`.predictql-run[data-run-id="${mlp.runId}"] .predictql-chip[data-coordinate="SampleRequest.predictedLatency"]`)
      .click();
    const listPaths = [0, 1, 2, 3].map((i) => `sampleRequests.${i}.predictedLatency`);
    const highlighted = panel.getByTestId('highlighted-paths');
    await expect.poll(() => highlighted.locator('li').allInnerTexts()).toEqual(listPaths);
    expect(listPaths.every((p) => mlp.paths?.includes(p))).toBe(true);
    expect(await highlighted.locator('h4').innerText()).toBe(
      `SampleRequest.predictedLatency in run #${mlp.runId}: 4 paths, 4 highlighted in the result`,
    );
    await screenshot(page, 'graphiql-two-models-list-picked');

    // The aliased field of the same run: the alias, not the list.
    await panel.locator(`.predictql-run[data-run-id="${mlp.runId}"] .predictql-chip[data-coordinate="Query.predictLatency"]`).click();
    await expect.poll(() => highlighted.locator('li').allInnerTexts()).toEqual(['quiet']);
    const keys = page.locator('.graphiql-response .predictql-path-key');
    await expect.poll(() => keys.allInnerTexts()).toEqual(['"quiet"']);

    // The reverse: a click on the GBDT prediction in the result names the run that served it.
    const gbdt = batches.find((b) => b.model === 'request-latency-gbdt')!;
    await page.locator('.graphiql-response .view-line', { hasText: '"heavy"' }).click();
    await expect.poll(() => panel.getByTestId('batches-cursor').innerText()).toBe(`heavy ← run #${gbdt.runId} request-latency-gbdt`);
    expect(await panel.locator(`.predictql-timeline-row[data-run-id="${gbdt.runId}"]`).getAttribute('class')).toContain('predictql-marked');
    await screenshot(page, 'graphiql-two-models-result-click');

    // Hovering a prediction in the result says the same in a tooltip.
    await page.locator('.graphiql-response .view-line', { hasText: '"quiet"' }).getByText('quiet').hover();
    await expect
      .poll(() => page.locator('.graphiql-response .monaco-hover').filter({ visible: true }).innerText(), { timeout: 10_000 })
      .toContain(`quiet ← run #${mlp.runId} request-latency (main, cpu)`);
    await page.close();
  });

  it('sends the trace header whenever the panel is open, whatever the header editor says', async () => {
    const page = await openGraphiQL();
    await page.getByText('Headers', { exact: true }).click();
    await replaceText(page, '[data-uri$="request-headers.json"]', '{}');
    const open = await run(page);
    expect(open.request().headers()['x-predictql-trace']).toBe('1');
    expect(((await open.json()) as TracedResponse).extensions.inference.batches.length).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Hide Batches' }).click();
    await page.locator('.predictql-batches').waitFor({ state: 'detached' });
    const closed = await run(page);
    expect(closed.request().headers()['x-predictql-trace']).toBeUndefined();
    expect(((await closed.json()) as { extensions?: unknown }).extensions).toBeUndefined();
    await page.close();
  });

  it('asked no host but this server, and the pages raised no error', () => {
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
