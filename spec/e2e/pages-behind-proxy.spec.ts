/**
 * The demo pages behind a reverse proxy that serves the app under /app and strips the prefix
 * before forwarding (nginx `location /app/ { proxy_pass http://backend/; }`): a tiny node:http
 * proxy on 127.0.0.1 in front of the reference app, Chromium loading /app/topic.html and
 * /app/queue.html, receiving messages over WebSocket, xhr-streaming and an iframe transport.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Browser } from 'playwright-core';
import { createReferenceApp } from '../../examples/reference/app';
import { browserAvailability, describeWithBrowser, launchBrowser } from '../helpers/browser';
import { connect, messages, offlineContext, openTab, roundTrip, sendName, textOf, waitForMessages, type DemoTab } from '../helpers/demo-page';

const PREFIX = '/app';
const COUNT = 3;

/** Forwards `/app/...` to the backend as `/...` (requests and WebSocket upgrades); anything else is 404. */
function strippingProxy(backendPort: number): Server {
  const strip = (url: string | undefined): string | undefined => {
    if (url === undefined || !(url === PREFIX || url.startsWith(`${PREFIX}/`) || url.startsWith(`${PREFIX}?`))) return undefined;
    const rest = url.slice(PREFIX.length);
    return rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
  };
  const proxy = createServer((req, res) => {
    const path = strip(req.url);
    if (path === undefined) return void res.writeHead(404).end('not under /app');
    const upstream = request({ host: '127.0.0.1', port: backendPort, method: req.method, path, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = strip(req.url);
    socket.on('error', () => undefined);
    if (path === undefined) return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    const upstream: Socket = tcpConnect(backendPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${path} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });
  return proxy;
}

const lookup = browserAvailability();

describeWithBrowser(lookup)('demo pages behind a proxy that strips /app', () => {
  let browser: Browser;
  let app: ReturnType<typeof createReferenceApp>;
  let proxy: Server;
  let base: string;
  let tabs: DemoTab[] = [];
  let foreign: string[] = [];

  beforeAll(async () => {
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    app = createReferenceApp({ interval: 50, count: COUNT, publicBasePath: PREFIX });
    const { port } = await app.listen(0, '127.0.0.1');
    proxy = strippingProxy(port);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(proxy.address() as { port: number }).port}${PREFIX}`;
  });

  afterEach(async () => {
    const errors = tabs.flatMap((t) => t.pageErrors);
    for (const context of browser.contexts()) await context.close();
    tabs = [];
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await app.close();
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    foreign = [];
  });

  async function open(page: string): Promise<DemoTab> {
    const made = await offlineContext(() => browser.newContext());
    foreign = made.foreignRequests;
    const tab = await openTab(made.context, `${base}/${page}`);
    tabs.push(tab);
    return tab;
  }

  it.each(['websocket', 'xhr-streaming', 'iframe-htmlfile', 'ws'])('topic.html receives every broadcast over ?transport=%s', async (transport) => {
    const tab = await open(`topic.html?transport=${transport}`);
    const requests: string[] = [];
    tab.page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await connect(tab);
    expect(await textOf(tab.page, '#endpoint')).toBe(`${PREFIX}/webServer`);
    await sendName(tab, `behind-${transport}`);
    const got = await waitForMessages(tab, COUNT);
    await roundTrip(tab);
    expect(got.every((body) => body.startsWith(`behind-${transport}-`))).toBe(true);
    // Every request the page made went through the prefix (the proxy answers 404 to anything else).
    expect(requests.filter((p) => !p.startsWith(`${PREFIX}/`))).toEqual([]);
  });

  it('queue.html receives the messages for zhangsan over xhr-streaming', async () => {
    const tab = await open('queue.html?transport=xhr-streaming');
    await connect(tab);
    await sendName(tab, 'queued');
    await waitForMessages(tab, COUNT);
    expect(await messages(tab)).toEqual(Array(COUNT).fill('queued'));
  });

  it('the index at /app/ links both pages, and its links work', async () => {
    const tab = await open('');
    expect(await tab.page.getAttribute('#topic-link', 'href')).toBe('topic.html');
    await tab.page.click('#queue-link');
    await tab.page.waitForURL(`${base}/queue.html`);
    await connect(tab);
    expect(await textOf(tab.page, '#endpoint')).toBe(`${PREFIX}/queueServer`);
  });
});
