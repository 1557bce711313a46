import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { createReferenceApp } from '../../examples/reference/app';
import { browserAvailability, describeWithBrowser, launchBrowser } from '../helpers/browser';
import {
  type DemoTab,
  connect,
  messages,
  offlineContext,
  openTab,
  roundTrip,
  sendName,
  textOf,
  waitForMessages,
  waitForState,
} from '../helpers/demo-page';

const INTERVAL_MS = 50;
const COUNT = 5;
const ARTIFACTS = path.resolve(__dirname, '../../artifacts');

/** Every SockJS transport the pages can force with `?transport=`. */
const SOCKJS_TRANSPORTS = [
  'websocket',
  'xhr-streaming',
  'xhr-polling',
  'eventsource',
  'iframe-htmlfile',
  'iframe-eventsource',
  'iframe-xhr-polling',
  'jsonp-polling',
] as const;

/** What #transport shows for a `?transport=` value once connected. */
function shownTransport(requested: string): string {
  return requested === 'ws' ? 'websocket (plain)' : requested;
}

const lookup = browserAvailability();

describeWithBrowser(lookup)('reference demo pages in headless Chromium', () => {
  let browser: Browser;
  let app: ReturnType<typeof createReferenceApp>;
  let base: string;
  let contexts: BrowserContext[] = [];
  let foreign: string[][] = [];
  let tabs: DemoTab[] = [];

  beforeAll(async () => {
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    browser = launched.browser;
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    app = createReferenceApp({ interval: INTERVAL_MS, count: COUNT });
    const { port } = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });

  afterEach(async () => {
    // Every page loads every script from our own server: nothing left 127.0.0.1.
    const leaked = foreign.flat();
    const errors = tabs.flatMap((t) => t.pageErrors);
    for (const context of contexts) await context.close();
    contexts = [];
    foreign = [];
    tabs = [];
    await app.close();
    expect(leaked).toEqual([]);
    expect(errors).toEqual([]);
  });

  async function open(pageAndQuery: string, context?: BrowserContext): Promise<DemoTab> {
    let ctx = context;
    if (ctx === undefined) {
      const made = await offlineContext(() => browser.newContext());
      contexts.push(made.context);
      foreign.push(made.foreignRequests);
      ctx = made.context;
    }
    const tab = await openTab(ctx, `${base}/${pageAndQuery}`);
    tabs.push(tab);
    return tab;
  }

  /** Asserts topic bodies: `<name>-<epoch ms>`, sent during the test, in order. */
  function expectTopicBodies(bodies: string[], name: string, sentAt: number): void {
    expect(bodies).toHaveLength(COUNT);
    const stamps = bodies.map((body) => {
      const match = new RegExp(`^${name}-(\\d+)$`).exec(body);
      expect(match).not.toBeNull();
      return Number(match![1]);
    });
    for (const stamp of stamps) {
      expect(stamp).toBeGreaterThanOrEqual(sentAt);
      expect(stamp).toBeLessThanOrEqual(Date.now());
    }
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
  }

  describe.each([...SOCKJS_TRANSPORTS, 'ws'])('over ?transport=%s', (transport) => {
    it('topic.html connects, sends a name and lists every broadcast', async () => {
      const tab = await open(`topic.html?transport=${transport}`);
      await connect(tab);
      expect(await textOf(tab.page, '#transport')).toBe(shownTransport(transport));

      const name = `topic-${transport}`;
      const sentAt = Date.now();
      await sendName(tab, name);
      await waitForMessages(tab, COUNT);
      await roundTrip(tab);
      expectTopicBodies(await messages(tab), name, sentAt);
    });

    it('queue.html connects, sends a name and lists every message for zhangsan', async () => {
      const tab = await open(`queue.html?transport=${transport}`);
      await connect(tab);
      expect(await textOf(tab.page, '#transport')).toBe(shownTransport(transport));
      expect(await textOf(tab.page, '#destination')).toBe('/user/zhangsan/message');

      const name = `queue-${transport}`;
      await sendName(tab, name);
      await waitForMessages(tab, COUNT);
      await roundTrip(tab);
      expect(await messages(tab)).toEqual(Array(COUNT).fill(name));
    });
  });

  it('two tabs of topic.html both receive every broadcast', async () => {
    const first = await open('topic.html');
    const second = await open('topic.html', first.page.context());
    await connect(first);
    await connect(second);
    // With no ?transport=, SockJS picks its best transport; in Chromium that is WebSocket.
    expect(await textOf(first.page, '#transport')).toBe('websocket');

    const sentAt = Date.now();
    await sendName(first, 'tabs');
    const [a, b] = await Promise.all([waitForMessages(first, COUNT), waitForMessages(second, COUNT)]);
    await Promise.all([roundTrip(first), roundTrip(second)]);
    expectTopicBodies(await messages(first), 'tabs', sentAt);
    expect(await messages(second)).toEqual(await messages(first));
    expect(b).toEqual(a);

    mkdirSync(ARTIFACTS, { recursive: true });
    await second.page.screenshot({ path: path.join(ARTIFACTS, 'topic.png'), fullPage: true });
  });

  it('queue.html for lisi receives nothing while a zhangsan tab receives everything', async () => {
    const zhangsan = await open('queue.html');
    const lisi = await open('queue.html?user=lisi', zhangsan.page.context());
    await connect(zhangsan);
    await connect(lisi);
    expect(await textOf(lisi.page, '#destination')).toBe('/user/lisi/message');

    // lisi asks; the server always sends to zhangsan.
    await sendName(lisi, 'for-zhangsan');
    await waitForMessages(zhangsan, COUNT);
    // Everything the server queued for lisi's connection has arrived after this round trip.
    await roundTrip(lisi);
    await roundTrip(zhangsan);
    expect(await messages(zhangsan)).toEqual(Array(COUNT).fill('for-zhangsan'));
    expect(await messages(lisi)).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await zhangsan.page.screenshot({ path: path.join(ARTIFACTS, 'queue.png'), fullPage: true });
  });

  it('Disconnect ends the session and Connect starts a new one', async () => {
    const tab = await open('topic.html');
    await connect(tab);
    await tab.page.click('#disconnect');
    await waitForState(tab, 'disconnected');
    expect(await tab.page.isDisabled('#send')).toBe(true);
    expect(await textOf(tab.page, '#transport')).toBe('-');

    await connect(tab);
    await sendName(tab, 'again');
    await waitForMessages(tab, COUNT);
    expect(await messages(tab)).toHaveLength(COUNT);
  });

  it('an unknown ?transport= is reported and nothing connects', async () => {
    const tab = await open('topic.html?transport=carrier-pigeon');
    expect(await textOf(tab.page, '#log')).toContain('unknown ?transport=carrier-pigeon');
    expect(await tab.page.isDisabled('#connect')).toBe(true);
    expect(await textOf(tab.page, '#state')).toBe('disconnected');
  });
});
