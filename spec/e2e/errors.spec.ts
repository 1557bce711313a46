/**
 * Every protocol error path end to end: an ERROR frame with the right `code`, a `message`,
 * `receipt-id` when the offending frame asked for a receipt, no stack trace, then the
 * connection closes, while a bystander session keeps receiving.
 */
import type { StompServerConfig } from '../../broker';
import { SimpleBroker } from '../../broker';
import type { ErrorCode } from '../../broker/errors';
import type { Subscription } from '../../broker/messaging/message-broker';
import { closeClients, header, RawClient, stompClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, startServer, type Running } from '../helpers/server';

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** A connected session subscribed to /topic/bystander. */
async function bystander(running: Running): Promise<RawClient> {
  const b = await RawClient.connected(running.ws('/stomp'));
  b.send('SUBSCRIBE\nid:b\ndestination:/topic/bystander\nreceipt:b\n\n\0');
  await b.nextCommand('RECEIPT');
  return b;
}

/** Checks that the bystander still gets what is published after the failure. */
async function bystanderStillReceives(b: RawClient): Promise<void> {
  b.send('SEND\ndestination:/topic/bystander\n\nstill here\0');
  const m = await b.nextCommand('MESSAGE');
  expect(m.body.toString()).toBe('still here');
}

/** The common shape of every ERROR frame. */
function expectError(f: PlainFrame, code: ErrorCode, receipt: string | undefined): void {
  expect(f.command).toBe('ERROR');
  expect(header(f, 'code')).toBe(code);
  expect(header(f, 'message')).toEqual(expect.stringMatching(/\S/));
  expect(header(f, 'receipt-id')).toBe(receipt);
  expect(header(f, 'content-type')).toBe('text/plain;charset=UTF-8');
  const body = f.body.toString();
  expect(body).not.toMatch(/\n\s+at /);
  expect(body).not.toMatch(/\.(ts|js):\d+/);
}

interface ErrorCase {
  /** What the client does wrong. */
  readonly name: string;
  readonly code: ErrorCode;
  /** Frames (or bytes) sent; a CONNECT precedes them unless `connect` is false. */
  readonly send: string | Buffer;
  readonly receipt?: string;
  readonly connect?: boolean;
  readonly config?: StompServerConfig;
  /** Frames sent first, each awaited through its receipt `setup`. */
  readonly setup?: string;
}

const big = (n: number): string => 'x'.repeat(n);
const headers = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('');

const CASES: ErrorCase[] = [
  { name: 'a frame before CONNECT', code: 'STOMP_ERR_NOT_CONNECTED', connect: false, send: 'SEND\ndestination:/topic/x\nreceipt:r1\n\nhi\0', receipt: 'r1' },
  { name: 'CONNECT twice', code: 'STOMP_ERR_ALREADY_CONNECTED', send: 'CONNECT\naccept-version:1.2\nreceipt:again\n\n\0', receipt: 'again' },
  { name: 'STOMP after CONNECT', code: 'STOMP_ERR_ALREADY_CONNECTED', send: 'STOMP\naccept-version:1.2\n\n\0' },
  { name: 'an unsupported version', code: 'STOMP_ERR_UNSUPPORTED_VERSION', connect: false, send: 'CONNECT\naccept-version:9.9\n\n\0' },
  { name: 'an invalid heart-beat header', code: 'STOMP_ERR_INVALID_HEADER', connect: false, send: 'CONNECT\naccept-version:1.2\nheart-beat:fast\n\n\0' },
  { name: 'a frame larger than the default maxFrameSize (64 KiB)', code: 'STOMP_ERR_FRAME_TOO_LARGE', send: `SEND\ndestination:/topic/x\n\n${big(70000)}\0` },
  { name: 'a content-length over maxFrameSize', code: 'STOMP_ERR_FRAME_TOO_LARGE', send: 'SEND\ndestination:/topic/x\ncontent-length:70000\n\n' },
  { name: 'more headers than the default maxHeaders (100)', code: 'STOMP_ERR_TOO_MANY_HEADERS', send: `SEND\ndestination:/topic/x\n${headers(100)}\n\0` },
  { name: 'a header line longer than the default maxHeaderLength (8192)', code: 'STOMP_ERR_HEADER_TOO_LONG', send: `SEND\ndestination:/topic/x\nh:${big(8191)}\n\n\0` },
  { name: 'a header line without a colon', code: 'STOMP_ERR_MALFORMED_FRAME', send: 'SEND\ndestination:/topic/x\nno-colon\n\n\0' },
  { name: 'a header line without a name', code: 'STOMP_ERR_MALFORMED_FRAME', send: 'SEND\ndestination:/topic/x\n:value\n\n\0' },
  { name: 'an unknown command', code: 'STOMP_ERR_UNKNOWN_COMMAND', send: 'PUBLISH\ndestination:/topic/x\n\n\0' },
  { name: 'a server command', code: 'STOMP_ERR_UNKNOWN_COMMAND', send: 'MESSAGE\ndestination:/topic/x\n\n\0' },
  { name: 'an undefined escape sequence', code: 'STOMP_ERR_INVALID_ESCAPE', send: 'SEND\ndestination:/topic/a\\tb\n\n\0' },
  { name: 'a content-length that is not a number', code: 'STOMP_ERR_INVALID_CONTENT_LENGTH', send: 'SEND\ndestination:/topic/x\ncontent-length:abc\n\nabc\0' },
  { name: 'a body longer than its content-length', code: 'STOMP_ERR_INVALID_CONTENT_LENGTH', send: 'SEND\ndestination:/topic/x\ncontent-length:2\n\nabc\0' },
  { name: 'SEND without destination', code: 'STOMP_ERR_MISSING_HEADER', send: 'SEND\nreceipt:s\n\nhi\0', receipt: 's' },
  { name: 'SUBSCRIBE without destination', code: 'STOMP_ERR_MISSING_HEADER', send: 'SUBSCRIBE\nid:1\n\n\0' },
  { name: 'SUBSCRIBE without id on 1.2', code: 'STOMP_ERR_MISSING_HEADER', send: 'SUBSCRIBE\ndestination:/topic/x\nreceipt:s\n\n\0', receipt: 's' },
  { name: 'UNSUBSCRIBE without id', code: 'STOMP_ERR_MISSING_HEADER', send: 'UNSUBSCRIBE\n\n\0' },
  { name: 'ACK without id', code: 'STOMP_ERR_MISSING_HEADER', send: 'ACK\n\n\0' },
  { name: 'BEGIN without transaction', code: 'STOMP_ERR_MISSING_HEADER', send: 'BEGIN\n\n\0' },
  { name: 'a duplicate subscription id', code: 'STOMP_ERR_DUPLICATE_SUBSCRIPTION', setup: 'SUBSCRIBE\nid:1\ndestination:/topic/a\nreceipt:setup\n\n\0', send: 'SUBSCRIBE\nid:1\ndestination:/topic/b\nreceipt:dup\n\n\0', receipt: 'dup' },
  { name: 'UNSUBSCRIBE of an unknown subscription', code: 'STOMP_ERR_UNKNOWN_SUBSCRIPTION', send: 'UNSUBSCRIBE\nid:nope\nreceipt:u\n\n\0', receipt: 'u' },
  {
    name: 'more subscriptions than maxSubscriptionsPerSession',
    code: 'STOMP_ERR_TOO_MANY_SUBSCRIPTIONS',
    config: { maxSubscriptionsPerSession: 2 },
    setup: 'SUBSCRIBE\nid:1\ndestination:/topic/a\n\n\0SUBSCRIBE\nid:2\ndestination:/topic/b\nreceipt:setup\n\n\0',
    send: 'SUBSCRIBE\nid:3\ndestination:/topic/c\n\n\0',
  },
  { name: 'an invalid ack mode', code: 'STOMP_ERR_INVALID_ACK_MODE', send: 'SUBSCRIBE\nid:1\ndestination:/topic/a\nack:sometimes\n\n\0' },
  { name: 'an ACK of an unknown message', code: 'STOMP_ERR_UNKNOWN_ACK', send: 'ACK\nid:42\nreceipt:a\n\n\0', receipt: 'a' },
  { name: 'a NACK of an unknown message', code: 'STOMP_ERR_UNKNOWN_ACK', send: 'NACK\nid:42\n\n\0' },
  { name: 'COMMIT of an unknown transaction', code: 'STOMP_ERR_UNKNOWN_TRANSACTION', send: 'COMMIT\ntransaction:t\nreceipt:c\n\n\0', receipt: 'c' },
  { name: 'ABORT of an unknown transaction', code: 'STOMP_ERR_UNKNOWN_TRANSACTION', send: 'ABORT\ntransaction:t\n\n\0' },
  { name: 'SEND in an unknown transaction', code: 'STOMP_ERR_UNKNOWN_TRANSACTION', send: 'SEND\ndestination:/topic/x\ntransaction:t\n\nhi\0' },
  { name: 'BEGIN of an open transaction', code: 'STOMP_ERR_DUPLICATE_TRANSACTION', setup: 'BEGIN\ntransaction:t\nreceipt:setup\n\n\0', send: 'BEGIN\ntransaction:t\n\n\0' },
  {
    name: 'a transaction past maxFramesPerTransaction',
    code: 'STOMP_ERR_TRANSACTION_LIMIT',
    config: { maxFramesPerTransaction: 1 },
    setup: 'BEGIN\ntransaction:t\nreceipt:setup\n\n\0',
    send: 'SEND\ndestination:/topic/x\ntransaction:t\n\na\0SEND\ndestination:/topic/x\ntransaction:t\nreceipt:t2\n\nb\0',
    receipt: 't2',
  },
  {
    name: 'open transactions past maxTransactionBytes together',
    code: 'STOMP_ERR_TRANSACTION_LIMIT',
    config: { maxTransactionBytes: 1024 },
    setup: 'BEGIN\ntransaction:a\n\n\0BEGIN\ntransaction:b\nreceipt:setup\n\n\0',
    send: `SEND\ndestination:/topic/x\ntransaction:a\n\n${big(600)}\0SEND\ndestination:/topic/x\ntransaction:b\nreceipt:x\n\n${big(600)}\0`,
    receipt: 'x',
  },
  {
    name: 'subscriptions past maxSubscriptionBytes',
    code: 'STOMP_ERR_TOO_MANY_SUBSCRIPTIONS',
    config: { maxSubscriptionBytes: 1024 },
    setup: `SUBSCRIBE\nid:1\ndestination:/topic/${big(600)}\nreceipt:setup\n\n\0`,
    send: `SUBSCRIBE\nid:2\ndestination:/topic/${big(600)}\nreceipt:s\n\n\0`,
    receipt: 's',
  },
  { name: 'SEND to a destination with no handler and no broker prefix', code: 'STOMP_ERR_INVALID_DESTINATION', send: 'SEND\ndestination:/app/nothing\nreceipt:s\n\nhi\0', receipt: 's' },
  { name: 'a broker prefix matched only as a string prefix', code: 'STOMP_ERR_INVALID_DESTINATION', send: 'SEND\ndestination:/topicx\n\nhi\0' },
  { name: 'SUBSCRIBE to a destination with no handler and no broker prefix', code: 'STOMP_ERR_INVALID_DESTINATION', send: 'SUBSCRIBE\nid:1\ndestination:/elsewhere\n\n\0' },
  {
    name: 'SEND under an application prefix with no handler',
    code: 'STOMP_ERR_NO_HANDLER',
    config: { applicationPrefixes: ['/app'] },
    send: 'SEND\ndestination:/app/missing\n\nhi\0',
  },
  {
    name: 'SEND to a broker destination when allowClientSendToBroker is false',
    code: 'STOMP_ERR_FORBIDDEN',
    config: { allowClientSendToBroker: false },
    send: 'SEND\ndestination:/topic/x\n\nhi\0',
  },
  {
    name: 'a CONNECT that authenticate refuses',
    code: 'STOMP_ERR_UNAUTHORIZED',
    connect: false,
    config: { authenticate: ({ connectHeaders }) => (connectHeaders.get('login') === 'intruder' ? false : undefined) },
    send: 'CONNECT\naccept-version:1.2\nlogin:intruder\npasscode:x\n\n\0',
  },
  {
    name: 'an anonymous SUBSCRIBE to another user\'s literal destination under userDestinationsOwnOnly',
    code: 'STOMP_ERR_FORBIDDEN',
    config: { brokerPrefixes: ['/topic', '/user'], authorization: { userDestinationsOwnOnly: true } },
    send: 'SUBSCRIBE\nid:1\ndestination:/user/zhangsan/message\nreceipt:s\n\n\0',
    receipt: 's',
  },
];

describe.each(CASES)('$name', ({ code, send, receipt, connect = true, config = {}, setup }) => {
  it(`answers with ERROR ${code}, closes, and leaves other sessions alone`, async () => {
    const running = await startServer({ endpoints: ['/stomp'], ...config });
    const b = config.allowClientSendToBroker === false ? undefined : await bystander(running);
    const c = connect ? await RawClient.connected(running.ws('/stomp')) : await RawClient.open(running.ws('/stomp'));
    if (setup !== undefined) {
      c.send(setup);
      await c.nextMatching((f) => header(f, 'receipt-id') === 'setup', 'setup receipt');
    }
    c.send(send);
    const error = await c.nextCommand('ERROR');
    expectError(error, code, receipt);
    expect((await c.closed).code).toBe(1000);
    expect(c.pending).toEqual([]);
    if (b !== undefined) await bystanderStillReceives(b);
  });
});

describe('limits at their defaults', () => {
  let running: Running;
  beforeEach(async () => {
    running = await startServer({ endpoints: ['/stomp'] });
  });

  it('accepts a frame of exactly 64 KiB', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    const head = 'SEND\ndestination:/topic/x\nreceipt:r\n\n';
    c.send(`${head}${big(65536 - head.length - 1)}\0`);
    expect((await c.next()).command).toBe('RECEIPT');
  });

  it('refuses a frame of 64 KiB and one byte', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    const head = 'SEND\ndestination:/topic/x\nreceipt:r\n\n';
    c.send(`${head}${big(65536 - head.length)}\0`);
    expectError(await c.next(), 'STOMP_ERR_FRAME_TOO_LARGE', undefined);
  });

  it('accepts 100 headers', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    c.send(`SEND\ndestination:/topic/x\nreceipt:r\n${headers(98)}\n\0`);
    expect((await c.next()).command).toBe('RECEIPT');
  });

  it('accepts a header line of 8192 bytes', async () => {
    const c = await RawClient.connected(running.ws('/stomp'));
    c.send(`SEND\ndestination:/topic/x\nreceipt:r\nh:${big(8190)}\n\n\0`);
    expect((await c.next()).command).toBe('RECEIPT');
  });

  it('closes with 1009 a WebSocket message above the transport limit (max(4 × maxFrameSize, 1 MiB)), then cleans up', async () => {
    const b = await bystander(running);
    const c = await RawClient.connected(running.ws('/stomp'));
    const gone = new Promise<{ reason: string }>((resolve) => running.server.once('disconnect', resolve));
    c.send(`SEND\ndestination:/topic/x\n\n${big(2 << 20)}\0`);
    expect((await c.closed).code).toBe(1009);
    await gone;
    expect(running.server.sessions.size).toBe(1);
    await bystanderStillReceives(b);
  });

  it('closes a session that sends no CONNECT within connectTimeout', async () => {
    await closeServers();
    running = await startServer({ endpoints: ['/stomp'], connectTimeout: 100 });
    const b = await bystander(running);
    // Measured from before the handshake: the server's timer starts when it accepts the socket,
    // which is before the client sees it open.
    const started = Date.now();
    const c = await RawClient.open(running.ws('/stomp'));
    expectError(await c.next(), 'STOMP_ERR_CONNECT_TIMEOUT', undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await c.closed;
    await bystanderStillReceives(b);
  });
});

describe('server-side failures', () => {
  it('refuse a WebSocket upgrade past maxConnections with 503, leaving open sessions alone', async () => {
    const running = await startServer({ endpoints: ['/stomp'], maxConnections: 1 });
    const b = await bystander(running);
    await expect(RawClient.open(running.ws('/stomp'))).rejects.toThrow(/503/);
    await bystanderStillReceives(b);
  });

  it('answer a SockJS session past maxConnections with STOMP_ERR_TOO_MANY_CONNECTIONS', async () => {
    const running = await startServer({ endpoints: ['/stomp'], maxConnections: 1, sockjs: { disconnectDelay: 200 } });
    const b = await bystander(running);
    await expect(stompClient(running.http('/stomp'), 'xhr-streaming')).rejects.toThrow(/STOMP_ERR_TOO_MANY_CONNECTIONS: .*maxConnections \(1\)/);
    await bystanderStillReceives(b);
  });

  it('shut down sessions with STOMP_ERR_SERVER_SHUTDOWN', async () => {
    const running = await startServer({ endpoints: ['/stomp'] });
    const c = await RawClient.connected(running.ws('/stomp'));
    const closing = running.server.close();
    expectError(await c.next(), 'STOMP_ERR_SERVER_SHUTDOWN', undefined);
    await c.closed;
    await closing;
  });

  it('report an unexpected exception as STOMP_ERR_INTERNAL without its message or stack', async () => {
    class BrokenBroker extends SimpleBroker {
      override subscribe(_subscription: Subscription): void {
        throw new Error('secret internals at /srv/app.js:12');
      }
    }
    const running = await startServer({ endpoints: ['/stomp'], broker: new BrokenBroker() });
    const c = await RawClient.connected(running.ws('/stomp'));
    c.send('SUBSCRIBE\nid:1\ndestination:/topic/x\nreceipt:r\n\n\0');
    const error = await c.next();
    expectError(error, 'STOMP_ERR_INTERNAL', 'r');
    expect(header(error, 'message')).toBe('Internal server error');
    expect(error.body.toString()).not.toContain('secret');
    await c.closed;
  });

  // Was STOMP_ERR_RATE_LIMITED, shared with maxFramesPerSecond; a backlog bound has its own code now.
  it('refuse more than maxBacklogFrames (10000) frames waiting behind a slow handler with STOMP_ERR_BACKLOG_LIMIT', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Bytes well above what 10001 empty frames are counted at, so that the frame count decides.
    const running = await startServer({ endpoints: ['/stomp'], maxBacklogBytes: 16 * 1024 * 1024 });
    running.server.onMessage('/slow', () => held);
    const c = await RawClient.connected(running.ws('/stomp'));
    try {
      c.send('SEND\ndestination:/slow\n\nwait\0' + 'SEND\ndestination:/topic/x\n\n\0'.repeat(10001));
      const error = await c.nextCommand('ERROR');
      expectError(error, 'STOMP_ERR_BACKLOG_LIMIT', undefined);
      expect(header(error, 'message')).toContain('maxBacklogFrames');
      await c.closed;
    } finally {
      release();
    }
  });

  it('refuse more than maxBacklogBytes waiting behind a slow handler with STOMP_ERR_BACKLOG_LIMIT', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = await startServer({ endpoints: ['/stomp'], maxBacklogBytes: 4096 });
    running.server.onMessage('/slow', () => held);
    const b = await bystander(running);
    const c = await RawClient.connected(running.ws('/stomp'));
    try {
      // One WebSocket message: every frame in it is decoded before reading could pause.
      c.send('SEND\ndestination:/slow\n\nwait\0' + `SEND\ndestination:/topic/x\n\n${big(1000)}\0`.repeat(5));
      const error = await c.nextCommand('ERROR');
      expectError(error, 'STOMP_ERR_BACKLOG_LIMIT', undefined);
      expect(header(error, 'message')).toContain('maxBacklogBytes');
      await c.closed;
      await bystanderStillReceives(b);
    } finally {
      release();
    }
  });
});

describe('handler errors', () => {
  let running: Running;
  let c: RawClient;

  beforeEach(async () => {
    running = await startServer({ endpoints: ['/stomp'] });
    running.server.onMessage('/fail', () => {
      throw new Error('boom');
    });
    running.server.onMessage('/fail-async', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    running.server.onMessage('/echo', (payload: string, ctx) => ctx.reply(payload));
    c = await RawClient.connected(running.ws('/stomp'), { login: 'alice' });
    c.send('SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\n\n\0SUBSCRIBE\nid:reply\ndestination:/user/queue/reply\nreceipt:ready\n\n\0');
    await c.nextCommand('RECEIPT');
  });

  it.each([
    ['/fail', 'boom'],
    ['/fail-async', 'async boom'],
  ])('reach the session on /user/queue/errors with the receipt-id, and keep it open (%s)', async (destination, message) => {
    c.send(`SEND\ndestination:${destination}\nreceipt:r1\ncorrelation-id:c1\n\n{}\0`);
    const m = await c.nextCommand('MESSAGE');
    expect(header(m, 'subscription')).toBe('errors');
    expect(header(m, 'receipt-id')).toBe('r1');
    expect(header(m, 'correlation-id')).toBe('c1');
    expect(header(m, 'content-type')).toBe('application/json');
    expect(JSON.parse(m.body.toString())).toEqual({ code: 'STOMP_ERR_HANDLER_FAILED', message, destination });
    expect(m.body.toString()).not.toMatch(/\n\s+at /);
    expect(await c.nextCommand('RECEIPT')).toMatchObject({ headers: [['receipt-id', 'r1']] });
    c.send('SEND\ndestination:/echo\ncontent-type:text/plain\n\nstill open\0');
    const reply = await c.nextCommand('MESSAGE');
    expect(header(reply, 'subscription')).toBe('reply');
    expect(reply.body.toString()).toBe('still open');
    expect(c.closeCode).toBeUndefined();
  });

  it('carry the code of a StompError a handler throws', async () => {
    const { StompError } = await import('../../broker');
    running.server.onMessage('/denied', () => {
      throw new StompError('STOMP_ERR_FORBIDDEN', 'not yours');
    });
    c.send('SEND\ndestination:/denied\n\n\0');
    const m = await c.nextCommand('MESSAGE');
    expect(JSON.parse(m.body.toString())).toMatchObject({ code: 'STOMP_ERR_FORBIDDEN', message: 'not yours' });
  });

  it('reach an anonymous session on its own /user/queue/errors subscription', async () => {
    const anonymous = await RawClient.connected(running.ws('/stomp'));
    anonymous.send('SUBSCRIBE\nid:e\ndestination:/user/queue/errors\nreceipt:ready\n\n\0');
    await anonymous.nextCommand('RECEIPT');
    anonymous.send('SEND\ndestination:/fail\nreceipt:r\n\n{}\0');
    const m = await anonymous.nextCommand('MESSAGE');
    expect(header(m, 'subscription')).toBe('e');
    expect(header(m, 'receipt-id')).toBe('r');
    expect(JSON.parse(m.body.toString())).toMatchObject({ code: 'STOMP_ERR_HANDLER_FAILED', message: 'boom' });
    await anonymous.nextCommand('RECEIPT');
    expect(c.frames.filter((f) => f.command === 'MESSAGE')).toEqual([]);
  });

  it('never reach another session of the same user', async () => {
    const other = await RawClient.connected(running.ws('/stomp'), { login: 'alice' });
    other.send('SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:ready\n\n\0');
    await other.nextCommand('RECEIPT');
    c.send('SEND\ndestination:/fail\nreceipt:r\n\n{}\0');
    await c.nextCommand('RECEIPT');
    other.send('SEND\ndestination:/topic/x\nreceipt:sync\n\n\0');
    await other.nextCommand('RECEIPT');
    expect(other.frames.map((f) => f.command)).toEqual(['CONNECTED', 'RECEIPT', 'RECEIPT']);
  });
});
