import type { Browser, BrowserContext } from 'playwright-core';
import { createReferenceApp } from '../../examples/reference/app';
import { browserAvailability, describeWithBrowser, launchBrowser } from '../helpers/browser';
import { type DemoTab, connect, messages, offlineContext, openTab, roundTrip, sendName, textOf, waitForMessages, waitForState } from '../helpers/demo-page';

// SPEC §6.1: topic.html and queue.html keep their position in sessionStorage; reloaded in the
// middle of the 20 messages they still show all 20, once each, and say how many were recovered.

const INTERVAL_MS = 100;
const COUNT = 20;

const lookup = browserAvailability();

describeWithBrowser(lookup)('reference demo pages reloaded mid-stream in headless Chromium', () => {
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

  async function open(pageAndQuery: string): Promise<DemoTab> {
    const made = await offlineContext(() => browser.newContext());
    contexts.push(made.context);
    foreign.push(made.foreignRequests);
    const tab = await openTab(made.context, `${base}/${pageAndQuery}`);
    tabs.push(tab);
    return tab;
  }

  /** Connects, asks for the 20 messages, reloads after about 5, and returns the tab once it shows 20 again. */
  async function reloadMidway(tab: DemoTab, name: string, clickConnect: boolean): Promise<string[]> {
    await connect(tab);
    await sendName(tab, name);
    await waitForMessages(tab, 5);
    await tab.page.reload();
    if (clickConnect) await connect(tab);
    else await waitForState(tab, 'connected');
    await waitForMessages(tab, COUNT);
    // Wait out the push (20 × 100 ms from the start) and make sure nothing more is on its way.
    await tab.page.waitForTimeout(INTERVAL_MS * 3);
    await roundTrip(tab);
    return messages(tab);
  }

  describe.each(['ws', 'xhr-streaming'])('over ?transport=%s', (transport) => {
    it('topic.html shows all 20 broadcasts once each after a reload, and how many were recovered', async () => {
      const tab = await open(`topic.html?transport=${transport}`);
      const shown = await reloadMidway(tab, `reload-${transport}`, false);
      expect(shown).toHaveLength(COUNT);
      expect(new Set(shown).size).toBe(COUNT);
      expect(shown.every((b) => b.startsWith(`reload-${transport}-`))).toBe(true);
      const stamps = shown.map((b) => Number(b.slice(b.lastIndexOf('-') + 1)));
      expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
      const recovered = Number(await tab.page.getAttribute('#recovered', 'data-count'));
      expect(recovered).toBeGreaterThanOrEqual(5);
      expect(recovered).toBeLessThan(COUNT);
      expect(await textOf(tab.page, '#recovered')).toBe(`Recovered ${recovered} messages`);
      expect(await tab.page.getAttribute('#recovered', 'data-complete')).toBe('true');
    });

    it('queue.html shows all 20 messages for zhangsan once each after a reload (reconnecting by hand too)', async () => {
      const tab = await open(`queue.html?transport=${transport}`);
      const shown = await reloadMidway(tab, `q-${transport}`, true);
      expect(shown).toEqual(Array(COUNT).fill(`q-${transport}`));
      expect(Number(await tab.page.getAttribute('#recovered', 'data-count'))).toBeGreaterThanOrEqual(5);
    });
  });

  it('a page that was disconnected by hand stays disconnected after a reload', async () => {
    const tab = await open('topic.html?transport=ws');
    await connect(tab);
    await tab.page.click('#disconnect');
    await waitForState(tab, 'disconnected');
    await tab.page.reload();
    await tab.page.waitForTimeout(200);
    expect(await textOf(tab.page, '#state')).toBe('disconnected');
  });
});
