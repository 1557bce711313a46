import type { BrowserContext, Page, Request } from 'playwright-core';

/** How long a page gets to connect or to receive what it waits for. */
export const PAGE_TIMEOUT_MS = 15_000;

/** What a tab of a demo page saw, for assertions and failure messages. */
export interface DemoTab {
  page: Page;
  /** Uncaught exceptions thrown in the page. */
  pageErrors: string[];
  /** Console messages of type error. */
  consoleErrors: string[];
}

/**
 * Makes a context that lets the page talk only to 127.0.0.1: any other request is aborted and
 * recorded, so a test can assert that the page loads every script from our server (offline).
 */
export async function offlineContext(
  newContext: () => Promise<BrowserContext>,
): Promise<{ context: BrowserContext; foreignRequests: string[] }> {
  const context = await newContext();
  const foreignRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    foreignRequests.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return { context, foreignRequests };
}

/** Opens `url` in a new tab and records its errors. */
export async function openTab(context: BrowserContext, url: string): Promise<DemoTab> {
  const page = await context.newPage();
  const tab: DemoTab = { page, pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (err) => tab.pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') tab.consoleErrors.push(msg.text());
  });
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.goto(url);
  return tab;
}

/** Text of one element, trimmed. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').trim();
}

/** Waits for #state to read `state`; on timeout the error carries what the page showed. */
export async function waitForState(tab: DemoTab, state: string): Promise<void> {
  try {
    await tab.page.waitForFunction(
      (want) => document.getElementById('state')?.textContent === want,
      state,
    );
  } catch (err) {
    const seen = await snapshot(tab).catch(() => 'page gone');
    throw new Error(`${describeTab(tab)} never reached state "${state}" (${seen}): ${String(err)}`);
  }
}

/** Clicks Connect and waits until the STOMP session is up (or throws with the page's log). */
export async function connect(tab: DemoTab): Promise<void> {
  await tab.page.click('#connect');
  await waitForState(tab, 'connected');
}

/** Types a name and clicks Send. */
export async function sendName(tab: DemoTab, name: string): Promise<void> {
  await tab.page.fill('#name', name);
  await tab.page.click('#send');
}

/** Waits until #messages holds at least `n` items and returns their texts. */
export async function waitForMessages(tab: DemoTab, n: number): Promise<string[]> {
  try {
    await tab.page.waitForFunction(
      (want) => document.querySelectorAll('#messages li').length >= want,
      n,
    );
  } catch (err) {
    const seen = await snapshot(tab).catch(() => 'page gone');
    throw new Error(`${describeTab(tab)} did not get ${n} messages (${seen}): ${String(err)}`);
  }
  return messages(tab);
}

/** Texts of the items of #messages. */
export async function messages(tab: DemoTab): Promise<string[]> {
  return tab.page.$$eval('#messages li', (items) => items.map((li) => li.textContent ?? ''));
}

/**
 * A SUBSCRIBE-with-receipt round trip on the tab's own connection: once it resolves, every
 * frame the server had queued for this tab has arrived (frames on one connection stay in order).
 */
export async function roundTrip(tab: DemoTab): Promise<void> {
  await tab.page.evaluate(() => (window as unknown as { StompDemo: { roundTrip(): Promise<string> } }).StompDemo.roundTrip());
}

/** One line on what a tab shows, for failure messages. */
export async function snapshot(tab: DemoTab): Promise<string> {
  const [state, transport, log, count] = await Promise.all([
    textOf(tab.page, '#state'),
    textOf(tab.page, '#transport'),
    textOf(tab.page, '#log'),
    tab.page.$$eval('#messages li', (items) => items.length),
  ]);
  return `state=${state} transport=${transport} log="${log}" messages=${count}`;
}

function describeTab(tab: DemoTab): string {
  const errors = [...tab.pageErrors, ...tab.consoleErrors];
  return `${tab.page.url()}${errors.length ? ` (errors: ${errors.join(' | ')})` : ''}`;
}

/** Requests a tab made, for diagnosing a transport (method, URL, status or failure). */
export function recordRequests(page: Page): string[] {
  const seen: string[] = [];
  const line = (req: Request, outcome: string): string => `${req.method()} ${new URL(req.url()).pathname} ${outcome}`;
  page.on('requestfinished', async (req) => {
    const res = await req.response();
    seen.push(line(req, String(res?.status() ?? '?')));
  });
  page.on('requestfailed', (req) => seen.push(line(req, `failed: ${req.failure()?.errorText ?? '?'}`)));
  return seen;
}
