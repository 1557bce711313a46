/**
 * Headers the broker owns in MESSAGE frames are set by the broker, never taken from a client's
 * SEND (identity and delivery spoofing): the SEND goes through, its broker-owned headers do
 * not (broker/messaging/message-converter.ts `isBrokerOwned`).
 */
import { isBrokerOwned } from '../../broker/messaging/message-converter';
import { closeClients, header, RawClient, type WireMessage } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** Header lines of a MESSAGE exactly as they came over the wire (duplicates and raw bytes included). */
function rawHeaderLines(message: WireMessage): string[] {
  const text = message.data.toString('utf8');
  return text.slice(0, text.indexOf('\n\n')).split('\n').slice(1);
}

/** Names of the raw header lines, trimmed and lower-cased as a lenient client would read them. */
function lenientNames(message: WireMessage): string[] {
  return rawHeaderLines(message).map((line) => line.slice(0, line.indexOf(':')).trim().toLowerCase());
}

async function subscriber(running: Running, version: '1.2' | '1.1' | '1.0'): Promise<RawClient> {
  const c = await RawClient.connected(running.ws('/stomp'), { 'accept-version': version });
  c.send('SUBSCRIBE\nid:mine\ndestination:/topic/spoof\nreceipt:r\n\n\0');
  await c.nextCommand('RECEIPT');
  return c;
}

async function received(c: RawClient): Promise<WireMessage> {
  const [m] = await c.messagesMatching((w) => w.data.toString().startsWith('MESSAGE'), 1);
  return m;
}

const SPOOFED = [
  'user-name:admin',
  'user-id:admin',
  'session:x',
  'message-id:x',
  'subscription:x',
  'ack:x',
  'redelivered:true',
  'receipt-id:x',
  'x-stream-offset:7',
  'x-stream-epoch:x',
];

describe('a SEND naming broker-owned headers', () => {
  it("reaches subscribers with the broker's subscription and message-id, and no identity it claimed", async () => {
    const running = await startServer();
    const subs = await Promise.all((['1.2', '1.1', '1.0'] as const).map((v) => subscriber(running, v)));
    const sender = await RawClient.connected(running.ws('/stomp'), { login: 'mallory' });
    sender.send(`SEND\ndestination:/topic/spoof\n${SPOOFED.join('\n')}\nx-custom:kept\nreceipt:s\n\nhello\0`);
    expect(header(await sender.nextCommand('RECEIPT'), 'receipt-id')).toBe('s');
    for (const c of subs) {
      const m = await received(c);
      const names = lenientNames(m);
      expect(names.filter((n) => n === 'subscription')).toHaveLength(1);
      expect(names.filter((n) => n === 'message-id')).toHaveLength(1);
      for (const owned of ['user-name', 'user-id', 'session', 'ack', 'redelivered', 'receipt-id', 'x-stream-offset', 'x-stream-epoch']) {
        expect(names).not.toContain(owned);
      }
      const frame = c.frames.find((f) => f.command === 'MESSAGE')!;
      expect(header(frame, 'subscription')).toBe('mine');
      expect(header(frame, 'message-id')).not.toBe('x');
      expect(header(frame, 'x-custom')).toBe('kept');
      expect(frame.body.toString()).toBe('hello');
    }
  });

  it('drops them in other case, and with escaped control characters a lenient 1.1 or 1.0 client would trim away', async () => {
    const running = await startServer();
    const subs = await Promise.all((['1.2', '1.1', '1.0'] as const).map((v) => subscriber(running, v)));
    const sender = await RawClient.connected(running.ws('/stomp'));
    // 1.2 escapes: `\r` and `\n` decode to CR and LF inside the name; `\c` is a colon in a value.
    sender.send(
      'SEND\ndestination:/topic/spoof\nUser-Name:admin\nuser-name\\r:admin\n\\nsession:x\nSUBSCRIPTION:x\n Message-Id :x\nx-note:a\\cb\n\nhi\0',
    );
    for (const c of subs) {
      const m = await received(c);
      const names = lenientNames(m);
      expect(names).not.toContain('user-name');
      expect(names).not.toContain('session');
      expect(names.filter((n) => n === 'subscription')).toHaveLength(1);
      expect(names.filter((n) => n === 'message-id')).toHaveLength(1);
      const frame = c.frames.find((f) => f.command === 'MESSAGE')!;
      expect(header(frame, 'x-note')).toBe('a:b');
    }
  });

  it('still delivers the handler-visible headers to an application handler unchanged', async () => {
    const running = await startServer();
    const seen = new Promise<string | undefined>((resolve) => running.server.onMessage('/app-echo', (_p, ctx) => resolve(ctx.headers.get('user-name'))));
    const sender = await RawClient.connected(running.ws('/stomp'));
    sender.send('SEND\ndestination:/app-echo\nuser-name:admin\n\n{}\0');
    expect(await seen).toBe('admin'); // the application reads what the client wrote; ctx.user is the truth
  });
});

describe('isBrokerOwned', () => {
  it.each([
    ['user-name', true],
    ['User-Name', true],
    ['user-name\r', true],
    ['\nsession', true],
    [' message-id ', true],
    ['x-stream-offset', true],
    ['destination', true],
    ['correlation-id', false],
    ['reply-to', false],
    ['x-user-name', false],
    ['username', false],
  ])('says %p is %p', (name, owned) => {
    expect(isBrokerOwned(name)).toBe(owned);
  });
});
