import type { Browser, BrowserContext } from 'playwright-core';
import { createReferenceApp } from '../../examples/reference/app';
import { StompServer, silentLogger } from '../../broker';
import { browserAvailability, describeWithBrowser, launchBrowser } from '../helpers/browser';
import { type DemoTab, connect, offlineContext, openTab, sendName, waitForMessages, waitForState } from '../helpers/demo-page';

const INTERVAL_MS = 50;
const COUNT = 5;

const lookup = browserAvailability();

describeWithBrowser(lookup)('Server-Sent Events in headless Chromium', () => {
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let foreign: string[][] = [];
  let tabs: DemoTab[] = [];
  const servers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    const errors = tabs.flatMap((t) => t.pageErrors);
    for (const context of contexts) await context.close();
    for (const server of servers.splice(0)) await server.close();
    const leaked = foreign.flat();
    contexts = [];
    foreign = [];
    tabs = [];
    expect(leaked).toEqual([]);
    expect(errors).toEqual([]);
  });

  async function open(url: string): Promise<DemoTab> {
    const made = await offlineContext(() => browser.newContext());
    contexts.push(made.context);
    foreign.push(made.foreignRequests);
    const tab = await openTab(made.context, url);
    tabs.push(tab);
    return tab;
  }

  it('sse.html receives the broadcast that topic.html starts, with a bare EventSource', async () => {
    const app = createReferenceApp({ interval: INTERVAL_MS, count: COUNT });
    servers.push(app);
    const { port } = await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const sse = await open(`${base}/sse.html`);
    await waitForState(sse, 'connected');
    const topic = await open(`${base}/topic.html?transport=ws`);
    await connect(topic);
    await sendName(topic, 'from-topic');
    const received = await waitForMessages(sse, COUNT);
    expect(received).toHaveLength(COUNT);
    for (const body of received) expect(body).toMatch(/^from-topic-\d+$/);
    expect(await sse.page.textContent('#last-id')).not.toBe('-');
    // The page loads no library: its only script is inline.
    expect(await sse.page.$$eval('script[src]', (s) => s.length)).toBe(0);
  });

  it('sse.html resumes after a reload: the messages it missed come once, none twice', async () => {
    const app = createReferenceApp({ interval: 150, count: 12 });
    servers.push(app);
    const { port } = await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const sse = await open(`${base}/sse.html`);
    await waitForState(sse, 'connected');
    // Every item the page shows, across the reload, in order: reported by an observer the page
    // gets now and again in the reloaded document (what arrives between two looks is not missed).
    const seen: string[] = [];
    await sse.page.exposeFunction('reportShown', (text: string) => seen.push(text));
    const observe = (): void => {
      const report = (window as unknown as { reportShown: (t: string) => void }).reportShown;
      new MutationObserver((records) => {
        for (const r of records) for (const n of Array.from(r.addedNodes)) if (n.nodeName === 'LI' && (n as Element).parentElement?.id === 'messages') void report(n.textContent ?? '');
      }).observe(document, { childList: true, subtree: true });
    };
    await sse.page.addInitScript(observe);
    await sse.page.evaluate(observe);
    const topic = await open(`${base}/topic.html?transport=ws`);
    await connect(topic);
    await sendName(topic, 'reload');
    await until('3 messages before the reload', () => seen.length >= 3);
    // The reloaded page's stream opens 600 ms late: messages are published meanwhile, which only a resume brings.
    await sse.page.route(/\/sse\?/, async (route) => {
      await new Promise((r) => setTimeout(r, 600));
      await route.continue();
    });
    const beforeReload = seen.length;
    await sse.page.reload();
    await waitForState(sse, 'connected');
    await until('all 12 across the reload', () => new Set(seen).size >= 12, 20_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    expect(beforeReload).toBeLessThan(12); // the reload came in the middle
    expect(seen.length).toBe(12); // none twice
    expect(new Set(seen).size).toBe(12);
    expect(seen.every((b) => /^reload-\d+$/.test(b))).toBe(true);
  });

  it('an EventSource gets multi-line bodies, ids and the json form; a refused one fails without retrying', async () => {
    const server = new StompServer({ brokerPrefixes: ['/topic'], sse: true, logger: silentLogger, authorization: { rules: [{ destination: '/topic/secret', access: 'none' }] } });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const tab = await open(`http://127.0.0.1:${port}/health`);
    await tab.page.evaluate(() => {
      const w = window as unknown as { got: unknown[]; json: unknown[]; refused: number[]; opened: number };
      w.got = [];
      w.json = [];
      w.refused = [];
      w.opened = 0;
      const text = new EventSource('/sse?destination=/topic/page');
      text.onopen = () => w.opened++;
      text.onmessage = (e) => w.got.push({ data: e.data, id: e.lastEventId, type: e.type });
      const json = new EventSource('/sse?destination=/topic/page&format=json');
      json.onopen = () => w.opened++;
      json.onmessage = (e) => w.json.push(JSON.parse(e.data));
      const refused = new EventSource('/sse?destination=/topic/secret');
      refused.onerror = () => w.refused.push(refused.readyState);
    });
    // onopen comes with the 200, which the server sends once the stream is subscribed.
    await tab.page.waitForFunction(() => (window as unknown as { opened: number }).opened === 2);
    await server.template.convertAndSend('/topic/page', 'line one\nline two');
    await server.template.convertAndSend('/topic/page', { n: 2 }, { 'x-user': 'u1' });
    await tab.page.waitForFunction(() => (window as unknown as { got: unknown[]; json: unknown[] }).got.length >= 2 && (window as unknown as { json: unknown[] }).json.length >= 2);
    const { got, json, refused } = await tab.page.evaluate(() => {
      const w = window as unknown as { got: unknown[]; json: unknown[]; refused: number[] };
      return { got: w.got, json: w.json, refused: w.refused } as { got: { data: string; id: string; type: string }[]; json: any[]; refused: number[] };
    });
    expect(got.map((g) => g.data)).toEqual(['line one\nline two', '{"n":2}']);
    expect(got.every((g) => g.type === 'message' && g.id !== '')).toBe(true);
    expect(new Set(got.map((g) => g.id)).size).toBe(2);
    expect(json[1]).toMatchObject({ destination: '/topic/page', body: { n: 2 }, headers: { 'x-user': 'u1' } });
    // A 403 fails the EventSource for good (readyState CLOSED = 2): no reconnect loop.
    expect(refused).toEqual([2]);
  });
});

/** Polls `check` every 20 ms; throws naming `what` after `ms`. */
async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
