/**
 * Finding 5 of the security issue: a JSON array of numbers posted to xhr_send (`[[83,69,...]]`)
 * injected arbitrary bytes as a STOMP frame; a SEND whose body is not UTF-8 then went out as a
 * WebSocket text frame, and every plain-WebSocket subscriber of the topic was disconnected
 * (RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection, close 1007).
 *
 * The contract: SockJS carries strings only, so the array of numbers is refused (an HTTP
 * error on xhr_send, an ERROR and a close on the websocket transport), and a body that is not
 * UTF-8 never goes out as text. The subscribers stay connected and keep receiving.
 */
import type { Browser, Page } from 'playwright-core';
import { describeWithBrowser, launchBrowser } from '../../helpers/browser';
import { header, RawClient } from '../../helpers/clients';
import { CONNECT, RawSockJsSocket, XhrSession } from '../../helpers/sockjs-raw';
import { expectWithin, log, Measurement } from '../measure';
import { arena, outcome } from './arena';

const get = arena();

/** A SEND to /topic/victim whose body is not UTF-8 (0xff 0xfe, and 0xc3 0x28), as bytes. */
const INJECTED = [...Buffer.from('SEND\ndestination:/topic/victim\n\n'), 0xff, 0xfe, 0xc3, 0x28, 0];

async function victim(url: string): Promise<RawClient> {
  const client = await RawClient.connected(url);
  client.send('SUBSCRIBE\nid:v\ndestination:/topic/victim\nreceipt:v\n\n\0');
  await client.nextCommand('RECEIPT');
  return client;
}

/** Publishes `after` to /topic/victim from a well-behaved client. */
async function publishAfter(url: string): Promise<void> {
  const publisher = await RawClient.connected(url);
  publisher.send('SEND\ndestination:/topic/victim\nreceipt:p\n\nafter\0');
  await publisher.nextCommand('RECEIPT');
}

/** The victim is still connected and receives the next message; a text frame it got is UTF-8. */
async function expectUnharmed(client: RawClient): Promise<void> {
  const after = await outcome(client.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString() === 'after', 'the MESSAGE "after"', 5000));
  if (after instanceof Error) throw new Error(`the plain-WebSocket subscriber did not get the next message: ${after.message}`);
  expect(client.closeCode).toBeUndefined();
  for (const m of client.messages) if (!m.binary) expect(Buffer.from(m.data.toString('utf8'), 'utf8').equals(m.data)).toBe(true);
}

describe('bytes injected through SockJS', () => {
  it('an array of numbers posted to xhr_send is refused, and a plain-WebSocket subscriber stays connected', async () => {
    const { broker, bystander } = get();
    const subscriber = await victim(broker.ws('/stomp'));
    const attacker = await XhrSession.open(broker.port);
    await attacker.sendFrames(CONNECT);
    await attacker.pollFor('CONNECTED');
    const m = await Measurement.begin('F5 xhr_send [[bytes]]', broker, bystander);
    const reply = await attacker.send(JSON.stringify([INJECTED]));
    await publishAfter(broker.ws('/stomp'));
    const harmed = await outcome(expectUnharmed(subscriber));
    const figures = await m.end();
    log(figures, `xhr_send answered ${reply.status}; subscriber ${harmed instanceof Error ? `harmed: ${harmed.message.slice(0, 120)}` : 'unharmed'}, close ${subscriber.closeCode ?? 'none'}`);
    expectWithin(figures);
    if (harmed instanceof Error) throw harmed;
    expect(reply.status).toBeGreaterThanOrEqual(400);
  });

  it('an array of numbers over the SockJS websocket gets an ERROR, and a plain-WebSocket subscriber stays connected', async () => {
    const { broker, bystander } = get();
    const subscriber = await victim(broker.ws('/stomp'));
    const attacker = await RawSockJsSocket.open(broker.ws('/stomp'));
    await attacker.sendFrames(CONNECT);
    await attacker.nextStomp('CONNECTED');
    const m = await Measurement.begin('F5 sockjs-websocket [[bytes]]', broker, bystander);
    await attacker.send(JSON.stringify([INJECTED]));
    const error = await outcome(attacker.nextStomp('ERROR', 3000));
    await publishAfter(broker.ws('/stomp'));
    const harmed = await outcome(expectUnharmed(subscriber));
    const figures = await m.end();
    log(figures, `attacker ${error instanceof Error ? error.message.slice(0, 80) : `ERROR ${header(error, 'code')}`}; subscriber ${harmed instanceof Error ? 'harmed' : 'unharmed'}, close ${subscriber.closeCode ?? 'none'}`);
    expectWithin(figures);
    if (harmed instanceof Error) throw harmed;
    if (error instanceof Error) throw error;
  });

  it('a lone surrogate in a SockJS string reaches a plain-WebSocket subscriber as valid UTF-8', async () => {
    const { broker, bystander } = get();
    const subscriber = await victim(broker.ws('/stomp'));
    const attacker = await XhrSession.open(broker.port);
    await attacker.sendFrames(CONNECT);
    await attacker.pollFor('CONNECTED');
    const m = await Measurement.begin('F5 xhr_send lone surrogate', broker, bystander);
    // JSON.stringify escapes the lone surrogate as \ud800: the server decodes it to a lone UTF-16 unit.
    const reply = await attacker.send(JSON.stringify(['SEND\ndestination:/topic/victim\n\nx\ud800y\0']));
    await publishAfter(broker.ws('/stomp'));
    const harmed = await outcome(expectUnharmed(subscriber));
    const figures = await m.end();
    log(figures, `xhr_send answered ${reply.status}; subscriber ${harmed instanceof Error ? 'harmed' : 'unharmed'}`);
    expectWithin(figures);
    if (harmed instanceof Error) throw harmed;
  });
});

describeWithBrowser()('bytes injected through SockJS, with the subscriber in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = (await launchBrowser()).browser!;
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** A page of the broker's origin subscribed to /topic/victim over plain WebSocket. */
  async function browserVictim(base: string, url: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(base);
    await page.evaluate((wsUrl) => {
      const state = { bodies: [] as string[], closeCode: undefined as number | undefined, subscribed: false };
      (window as unknown as { victim: typeof state }).victim = state;
      const ws = new WebSocket(wsUrl, ['v12.stomp']);
      ws.onopen = () => ws.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
      ws.onmessage = (e) => {
        const text = typeof e.data === 'string' ? e.data : '(binary)';
        if (text.startsWith('CONNECTED')) ws.send('SUBSCRIBE\nid:v\ndestination:/topic/victim\nreceipt:v\n\n\0');
        else if (text.startsWith('RECEIPT')) state.subscribed = true;
        else if (text.startsWith('MESSAGE') || text === '(binary)') state.bodies.push(text === '(binary)' ? text : text.slice(text.indexOf('\n\n') + 2).replace(/\0$/, ''));
      };
      ws.onclose = (e) => {
        state.closeCode = e.code;
      };
    }, url);
    await page.waitForFunction(() => (window as unknown as { victim: { subscribed: boolean } }).victim.subscribed, undefined, { timeout: 5000 });
    return page;
  }

  it('an array of numbers posted to xhr_send leaves a Chromium subscriber connected and receiving', async () => {
    const { broker, bystander } = get();
    const page = await browserVictim(broker.http('/health'), broker.ws('/stomp'));
    try {
      const attacker = await XhrSession.open(broker.port);
      await attacker.sendFrames(CONNECT);
      await attacker.pollFor('CONNECTED');
      const m = await Measurement.begin('F5 xhr_send [[bytes]], Chromium subscriber', broker, bystander);
      const reply = await attacker.send(JSON.stringify([INJECTED]));
      await publishAfter(broker.ws('/stomp'));
      const received = await outcome(page.waitForFunction(() => (window as unknown as { victim: { bodies: string[] } }).victim.bodies.includes('after'), undefined, { timeout: 5000 }));
      const state = await page.evaluate(() => (window as unknown as { victim: unknown }).victim);
      const figures = await m.end();
      log(figures, `xhr_send answered ${reply.status}; Chromium subscriber ${JSON.stringify(state)}`);
      expectWithin(figures);
      expect(state).toMatchObject({ closeCode: undefined });
      if (received instanceof Error) throw received;
    } finally {
      await page.close();
    }
  });
});
