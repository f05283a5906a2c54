/**
 * GraphiQL in a real browser (Debian's Chromium, headless, driven by playwright-core): the page
 * served at /graphql renders with no network beyond this server (its scripts are bundled, no
 * CDN), runs its default query, and the result pane shows the predictions and the
 * `extensions.inference` trace. A screenshot is kept at /tmp/predictql-graphiql.png.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';

const CHROMIUM = process.env.PREDICTQL_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = '/tmp/predictql-graphiql.png';

let services: Services;
let server: Server;
let origin: string;
let profileDir: string;
let browser: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium; .ci/run does) or set PREDICTQL_CHROMIUM.`);
  }
  services = await loadServices(readConfig({}));
  server = createServer(createApp(services));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profileDir = await mkdtemp(join(tmpdir(), 'predictql-chromium-'));
  // A persistent context is how playwright takes a --user-data-dir of our own (a fresh, empty one).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1800 },
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
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await services?.inference.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('GraphiQL in Chromium', () => {
  it('runs the default query and shows predictions and the inference trace, with no CDN', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) foreign.push(url);
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${origin}/graphql`, { waitUntil: 'load' });
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ state: 'visible', timeout: 30_000 });
    // The default query and the trace header are preset in the editors.
    await expect.poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 15_000 }).toContain('sampleRequests');

    const answered = page.waitForResponse((r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST');
    await run.click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers()['x-predictql-trace']).toBe('1');
    const body = (await response.json()) as {
      data: { sampleRequests: { predictedLatency: { p50Ms: number } }[]; quiet: { p50Ms: number }; busy: { model: { name: string } } };
      extensions: { inference: { batches: { size: number; loads: number }[] } };
    };
    expect(body.data.sampleRequests).toHaveLength(5);
    expect(Number.isFinite(body.data.quiet.p50Ms)).toBe(true);
    // Every prediction of the default query shares one run: 5 samples + quiet + busy.
    expect(body.extensions.inference.batches).toHaveLength(1);
    expect(body.extensions.inference.batches[0]).toMatchObject({ size: 7, loads: 7 });

    // What a person sees: the result pane, with predictions and the trace extension.
    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.innerText(), { timeout: 15_000 }).toContain('"p50Ms"');
    const text = await result.innerText();
    expect(text).toContain('"predictedLatency"');
    expect(text).toContain('"extensions"');
    expect(text).toContain('"inference"');
    expect(text).toContain('"batches"');

    const shot = join(profileDir, 'graphiql.png');
    await page.screenshot({ path: shot, fullPage: false });
    await copyFile(shot, SCREENSHOT);

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
