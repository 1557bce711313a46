/**
 * The command table (session/commands.ts) over a loopback connection: a real session of a real
 * server, no socket. Each command's happy path and its refusals, with the code the client sees.
 */
import { StompServer, silentLogger, type StompServerConfig } from '../../broker';
import type { Session } from '../../broker/session/session';
import { header } from '../helpers/clients';
import { connected, loopback, type LoopbackConnection } from '../helpers/loopback';

const servers: StompServer[] = [];
const server = (config: StompServerConfig = {}): StompServer => {
  const s = new StompServer({ heartbeat: [0, 0], logger: silentLogger, ...config });
  servers.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function errorCode(c: LoopbackConnection): Promise<string | undefined> {
  const error = await c.next('ERROR');
  await c.whenClosed();
  return header(error, 'code');
}

describe('CONNECT', () => {
  it('answers CONNECTED with the highest common version, the server name and a session id', async () => {
    const s = server({ serverName: 'unit/1' });
    const c = loopback(s);
    c.write('CONNECT\naccept-version:1.0,1.1\nhost:h\n\n\0');
    const f = await c.next('CONNECTED');
    expect(header(f, 'version')).toBe('1.1');
    expect(header(f, 'server')).toBe('unit/1');
    expect(header(f, 'session')).toMatch(/^.{8,}$/);
  });

  it('offers its own heart-beat in CONNECTED and runs the negotiated one: the larger of each pair, 0 when either side says 0', async () => {
    const s = server({ heartbeat: [5000, 7000] });
    const intervals = async (offer: string): Promise<[number, number]> => {
      const c = loopback(s);
      c.write(`CONNECT\naccept-version:1.2\nhost:h\nheart-beat:${offer}\n\n\0`);
      const f = await c.next('CONNECTED');
      expect(header(f, 'heart-beat')).toBe('5000,7000');
      // The transports' Session class (what a loopback connection opens) keeps the negotiated intervals.
      const session = s.sessions.get(header(f, 'session')!) as unknown as Session;
      return [session.sendInterval, session.receiveInterval];
    };
    // STOMP 1.2 §Heart-beating: the server sends every max(sx, cy) and expects every max(sy, cx).
    expect(await intervals('1000,9000')).toEqual([9000, 7000]);
    expect(await intervals('8000,0')).toEqual([0, 8000]);
    expect(await intervals('0,0')).toEqual([0, 0]);
  });

  it('refuses a version it does not speak, naming the ones it does', async () => {
    const c = loopback(server());
    c.write('CONNECT\naccept-version:2.0\nhost:h\n\n\0');
    const error = await c.next('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_UNSUPPORTED_VERSION');
    expect(header(error, 'version')).toBe('1.2,1.1,1.0');
  });

  it('refuses a second CONNECT and any frame before the first', async () => {
    const twice = await connected(server());
    twice.write('CONNECT\naccept-version:1.2\nhost:h\n\n\0');
    expect(await errorCode(twice)).toBe('STOMP_ERR_ALREADY_CONNECTED');
    const early = loopback(server());
    early.write('SEND\ndestination:/topic/a\n\nx\0');
    expect(await errorCode(early)).toBe('STOMP_ERR_NOT_CONNECTED');
  });

  it('refuses a CONNECT that authenticate turns down, without its reason', async () => {
    const s = server({
      authenticate: () => {
        throw new Error('secret reason');
      },
    });
    const c = loopback(s);
    c.write('CONNECT\naccept-version:1.2\nhost:h\nlogin:x\n\n\0');
    const error = await c.next('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_UNAUTHORIZED');
    expect(error.body.toString()).not.toContain('secret reason');
  });
});

describe('SUBSCRIBE and UNSUBSCRIBE', () => {
  it('deliver what is sent to the destination until UNSUBSCRIBE, then nothing', async () => {
    const s = server();
    const c = await connected(s);
    c.write('SUBSCRIBE\nid:0\ndestination:/topic/a\nreceipt:s\n\n\0');
    await c.next('RECEIPT');
    c.write('SEND\ndestination:/topic/a\n\none\0');
    const m = await c.next('MESSAGE');
    expect([header(m, 'subscription'), header(m, 'destination'), m.body.toString()]).toEqual(['0', '/topic/a', 'one']);
    c.write('UNSUBSCRIBE\nid:0\nreceipt:u\n\n\0');
    await c.next((f) => header(f, 'receipt-id') === 'u');
    c.write('SEND\ndestination:/topic/a\nreceipt:after\n\ntwo\0');
    await c.next((f) => header(f, 'receipt-id') === 'after');
    expect(c.frames.filter((f) => f.command === 'MESSAGE')).toHaveLength(1);
  });

  it.each([
    ['a missing id', 'SUBSCRIBE\ndestination:/topic/a\n\n\0', 'STOMP_ERR_MISSING_HEADER'],
    ['a missing destination', 'SUBSCRIBE\nid:1\n\n\0', 'STOMP_ERR_MISSING_HEADER'],
    ['a bad ack mode', 'SUBSCRIBE\nid:1\ndestination:/topic/a\nack:sometimes\n\n\0', 'STOMP_ERR_INVALID_ACK_MODE'],
    ['an unknown subscription', 'UNSUBSCRIBE\nid:nope\n\n\0', 'STOMP_ERR_UNKNOWN_SUBSCRIPTION'],
    ['an unknown ack id', 'ACK\nid:nope\n\n\0', 'STOMP_ERR_UNKNOWN_ACK'],
  ])('refuses %s', async (_, frame, code) => {
    const c = await connected(server());
    c.write(frame);
    expect(await errorCode(c)).toBe(code);
  });

  it('refuses a subscription id the session already uses', async () => {
    const c = await connected(server());
    c.write('SUBSCRIBE\nid:1\ndestination:/topic/a\n\n\0');
    c.write('SUBSCRIBE\nid:1\ndestination:/topic/b\n\n\0');
    expect(await errorCode(c)).toBe('STOMP_ERR_DUPLICATE_SUBSCRIPTION');
  });

  it('refuses a subscription past maxSubscriptionsPerSession', async () => {
    const c = await connected(server({ maxSubscriptionsPerSession: 2 }));
    for (const id of ['1', '2', '3']) c.write(`SUBSCRIBE\nid:${id}\ndestination:/topic/${id}\n\n\0`);
    expect(await errorCode(c)).toBe('STOMP_ERR_TOO_MANY_SUBSCRIPTIONS');
  });
});

describe('transactions', () => {
  it('hold SENDs until COMMIT and drop them on ABORT', async () => {
    const s = server();
    const c = await connected(s);
    c.write('SUBSCRIBE\nid:0\ndestination:/topic/tx\nreceipt:s\n\n\0');
    await c.next('RECEIPT');
    c.write('BEGIN\ntransaction:t1\n\n\0SEND\ndestination:/topic/tx\ntransaction:t1\n\nkept\0');
    c.write('BEGIN\ntransaction:t2\n\n\0SEND\ndestination:/topic/tx\ntransaction:t2\n\ndropped\0ABORT\ntransaction:t2\n\n\0');
    c.write('SEND\ndestination:/topic/tx\nreceipt:mark\n\noutside\0');
    await c.next((f) => header(f, 'receipt-id') === 'mark');
    expect(c.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['outside']);
    c.write('COMMIT\ntransaction:t1\nreceipt:commit\n\n\0');
    await c.next((f) => header(f, 'receipt-id') === 'commit');
    expect(c.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual(['outside', 'kept']);
  });

  it.each([
    ['COMMIT of a transaction never begun', 'COMMIT\ntransaction:none\n\n\0', 'STOMP_ERR_UNKNOWN_TRANSACTION'],
    ['a SEND in a transaction never begun', 'SEND\ndestination:/topic/a\ntransaction:none\n\nx\0', 'STOMP_ERR_UNKNOWN_TRANSACTION'],
    ['BEGIN of an open transaction', 'BEGIN\ntransaction:t\n\n\0BEGIN\ntransaction:t\n\n\0', 'STOMP_ERR_DUPLICATE_TRANSACTION'],
  ])('refuses %s', async (_, frames, code) => {
    const c = await connected(server());
    c.write(frames);
    expect(await errorCode(c)).toBe(code);
  });

  it('refuses a transaction past maxFramesPerTransaction with TRANSACTION_LIMIT, not FRAME_TOO_LARGE', async () => {
    const c = await connected(server({ maxFramesPerTransaction: 2 }));
    c.write('BEGIN\ntransaction:t\n\n\0');
    for (let i = 0; i < 3; i++) c.write(`SEND\ndestination:/topic/a\ntransaction:t\n\n${i}\0`);
    expect(await errorCode(c)).toBe('STOMP_ERR_TRANSACTION_LIMIT');
  });
});

describe('RECEIPT and DISCONNECT', () => {
  it('answers a DISCONNECT receipt and then closes normally', async () => {
    const c = await connected(server());
    c.write('DISCONNECT\nreceipt:bye\n\n\0');
    expect(header(await c.next('RECEIPT'), 'receipt-id')).toBe('bye');
    expect((await c.whenClosed()).code).toBe(1000);
  });

  it('puts receipt-id on the ERROR of a frame that asked for a receipt', async () => {
    const c = await connected(server());
    c.write('UNSUBSCRIBE\nid:nope\nreceipt:r-9\n\n\0');
    expect(header(await c.next('ERROR'), 'receipt-id')).toBe('r-9');
  });
});
