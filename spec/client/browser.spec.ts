/**
 * The browser bundle in headless Chromium: the broker serves it at /lib/ next to
 * sockjs-client, a page loads it as a classic script (global `stompbox`) or as an ES module,
 * and the client in the page talks to the broker over WebSocket and over SockJS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeWithBrowser, launchBrowser } from '../helpers/browser';
import { closeServers, startServer, type Running } from '../helpers/server';
import { closeTestClients, testClient } from './support';

const ROOT = path.resolve(__dirname, '../..');

describeWithBrowser()('browser bundle', () => {
  let browser: Browser;
  let pages: string;

  beforeAll(async () => {
    // The same command `npm run build` runs; the broker serves dist/client/browser at /lib/.
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle-client.js')], { cwd: ROOT, stdio: 'pipe' });
    pages = mkdtempSync(path.join(os.tmpdir(), 'stompbox-pages-'));
    writeFileSync(path.join(pages, 'classic.html'), '<!doctype html><script src="/lib/stompbox-client.js"></script>');
    writeFileSync(
      path.join(pages, 'module.html'),
      '<!doctype html><script type="module">import * as lib from "/lib/stompbox-client.mjs"; window.stompbox = lib;</script>',
    );
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(pages, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const context of browser.contexts()) await context.close();
    await closeTestClients();
    await closeServers();
  });

  async function open(server: Running, page: string): Promise<Page> {
    const tab = await (await browser.newContext()).newPage();
    await tab.goto(server.http(`/${page}`));
    await tab.waitForFunction(() => typeof (window as any).stompbox?.StompboxClient === 'function');
    return tab;
  }

  it('serves the classic script and the ES module at /lib/ next to sockjs-client', async () => {
    const server = await startServer();
    for (const file of ['stompbox-client.js', 'stompbox-client.mjs', 'sockjs.min.js']) {
      const res = await fetch(server.http(`/lib/${file}`));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
  });

  it.each([
    ['classic.html', 'websocket', undefined],
    ['module.html', 'websocket', undefined],
    ['classic.html', 'sockjs', 'xhr-streaming'],
    ['module.html', 'auto', undefined],
  ])('%s receives messages over %s', async (file, transport, sockjsTransport) => {
    const server = await startServer({ staticDir: pages, sockjs: { disconnectDelay: 200 } });
    const tab = await open(server, file);
    const connected = await tab.evaluate(
      async ([t, s]) => {
        const w = window as any;
        w.received = [];
        w.client = new w.stompbox.StompboxClient({ url: '/stomp', transport: t, sockjsTransports: s ? [s] : undefined });
        await w.client.connect();
        await w.client.subscribe('/topic/browser', (body: unknown) => w.received.push(body)).ready;
        return w.client.transport;
      },
      [transport, sockjsTransport] as const,
    );
    expect(connected.kind).toBe(transport === 'auto' ? 'websocket' : transport);
    const sender = testClient({ url: server.ws('/stomp') });
    await sender.connect();
    await sender.publish('/topic/browser', { from: 'node' });
    await tab.waitForFunction(() => (window as any).received.length === 1);
    expect(await tab.evaluate(() => (window as any).received)).toEqual([{ from: 'node' }]);
    await tab.evaluate(() => (window as any).client.close());
  });
});
