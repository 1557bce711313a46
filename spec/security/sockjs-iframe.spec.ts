/**
 * The SockJS iframe page cannot be framed by a foreign page: served with
 * `X-Frame-Options: SAMEORIGIN` and `frame-ancestors 'self'` by default, not served at all
 * when `allowedOrigins` lists foreign origins (as Spring), framable by anyone only with '*'.
 * In Chromium, a page on a second origin that frames it and drives it with postMessage gets
 * nothing and opens no session, while a same-origin page still gets the bridge.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { browserAvailability, describeWithBrowser, launchBrowser } from '../helpers/browser';
import { offlineContext } from '../helpers/demo-page';
import { closeServers, startServer } from '../helpers/server';
import { request } from './http';

afterEach(async () => {
  await closeServers();
});

describe('the iframe page', () => {
  it('forbids framing by other origins by default, with a validator for caches', async () => {
    const running = await startServer();
    const page = await request(running.port, 'GET', '/stomp/iframe.html');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['content-security-policy']).toBe("frame-ancestors 'self'");
    expect(page.headers['cache-control']).toBe('public, max-age=31536000');
    expect(page.body).toContain('<script src="/lib/sockjs.min.js"></script>');
    expect(page.body).toContain('SockJS.bootstrap_iframe()');
    const etag = page.headers.etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await request(running.port, 'GET', '/stomp/iframe.html', { 'if-none-match': etag });
    expect([again.status, again.body, again.headers['x-frame-options']]).toEqual([304, '', 'SAMEORIGIN']);
  });

  it('answers any iframe page name sockjs-client asks for, and only GET', async () => {
    const running = await startServer();
    for (const name of ['iframe.html', 'iframe-1.6.1.html', 'iframe2.html', 'iframe-x_y.html']) {
      expect((await request(running.port, 'GET', `/stomp/${name}`)).status).toBe(200);
    }
    expect((await request(running.port, 'GET', '/stomp/iframe.htm')).status).toBe(404);
    expect((await request(running.port, 'GET', '/stomp/iframe<x>.html')).status).toBe(404);
    expect((await request(running.port, 'POST', '/stomp/iframe.html')).status).toBe(405);
  });

  it('is not served at all when allowedOrigins lists foreign origins', async () => {
    const running = await startServer({ allowedOrigins: ['https://app.test'] });
    expect((await request(running.port, 'GET', '/stomp/iframe.html')).status).toBe(404);
    // Their pages use the CORS transports, which still work.
    expect((await request(running.port, 'GET', '/stomp/info', { origin: 'https://app.test' })).status).toBe(200);
  });

  it('may be framed by any page when allowedOrigins is ["*"], which trusts every origin anyway', async () => {
    const running = await startServer({ allowedOrigins: ['*'] });
    const page = await request(running.port, 'GET', '/stomp/iframe.html');
    expect(page.status).toBe(200);
    expect(page.headers['x-frame-options']).toBeUndefined();
    expect(page.headers['content-security-policy']).toBeUndefined();
  });

  it('loads sockjs-client from sockjs.clientUrl, which may be relative, escaped for HTML', async () => {
    const relative = await startServer({ sockjs: { clientUrl: '../lib/sockjs.min.js' } });
    expect((await request(relative.port, 'GET', '/stomp/iframe.html')).body).toContain('<script src="../lib/sockjs.min.js"></script>');
    const odd = await startServer({ sockjs: { clientUrl: '/x.js?a=1&b="><script>' } });
    const body = (await request(odd.port, 'GET', '/stomp/iframe.html')).body;
    expect(body).toContain('<script src="/x.js?a=1&amp;b=&quot;&gt;&lt;script&gt;"></script>');
  });
});

/** A page that frames the broker's iframe page and tries to drive it over xhr-polling, recording every message it gets. */
function framingPage(broker: string, sessionPath: string): string {
  return `<!doctype html>
<html><head><script src="${broker}/lib/sockjs.min.js"></script></head><body><script>
window.received = [];
addEventListener('message', function (e) { window.received.push(String(e.data).slice(0, 300)); });
var frame = document.createElement('iframe');
frame.src = '${broker}/stomp/iframe.html#w1234567';
document.body.appendChild(frame);
// What sockjs-client's parent side sends once the frame says it started; sent blindly here too.
function start() {
  var data = JSON.stringify([SockJS.version, 'xhr-polling', '${broker}${sessionPath}', '${broker}/stomp']);
  try { frame.contentWindow.postMessage(JSON.stringify({ windowId: 'w1234567', type: 's', data: data }), '*'); } catch (e) {}
}
var tries = 0;
var timer = setInterval(function () { start(); if (++tries === 20) clearInterval(timer); }, 100);
</script></body></html>`;
}

const lookup = browserAvailability();

describeWithBrowser(lookup)('the iframe bridge in Chromium', () => {
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let foreignServer: Server | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
    if (foreignServer !== undefined) await new Promise((resolve) => foreignServer!.close(resolve));
    foreignServer = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function received(url: string): Promise<{ messages: () => Promise<string[]> }> {
    const { context } = await offlineContext(() => browser.newContext());
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(url);
    return { messages: () => page.evaluate(() => (window as unknown as { received: string[] }).received) };
  }

  it('gives a page on another origin nothing: no message from the frame, no session', async () => {
    const running = await startServer();
    const broker = `http://127.0.0.1:${running.port}`;
    foreignServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(framingPage(broker, '/stomp/000/evil0001')));
    await new Promise<void>((resolve) => foreignServer!.listen(0, '127.0.0.1', resolve));
    const foreign = `http://127.0.0.1:${(foreignServer.address() as AddressInfo).port}/`;
    const tab = await received(foreign);
    // The page keeps driving the frame for 2 s; give it a second more to hear anything back.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await tab.messages()).toEqual([]);
    expect(running.server.stats().sessions.total).toBe(0);
  });

  it('still bridges a page of the same origin (the same page, served by the broker)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stompbox-iframe-'));
    const running = await startServer({ staticDir: dir });
    const broker = `http://127.0.0.1:${running.port}`;
    writeFileSync(path.join(dir, 'framing.html'), framingPage(broker, '/stomp/000/same0001'));
    const tab = await received(`${broker}/framing.html`);
    let messages: string[] = [];
    for (let i = 0; i < 100 && !messages.some((m) => m.includes('"type":"t"') && m.includes('"data":"o"')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      messages = await tab.messages();
    }
    expect(messages.some((m) => m.includes('"type":"s"'))).toBe(true); // the frame started
    expect(messages.some((m) => m.includes('"type":"t"') && m.includes('"data":"o"'))).toBe(true); // and opened a session
    expect(running.server.stats().sessions.total).toBeGreaterThanOrEqual(1);
  });
});
