/**
 * Every byte the broker holds for a session counts against a documented bound, whatever the
 * client does: RECEIPTs to a client that stopped reading count against `sendBufferLimit`;
 * frames held in transactions or behind an asynchronous effect are copies detached from the
 * transport message they came in, counted against `maxTransactionBytes` / `maxBacklogBytes`.
 */
import type { Socket } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { CloseReason, StompServer } from '../../broker';
import { DEFAULTS } from '../../broker';
import type { Session } from '../../broker/session/session';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { eventually, held, nextTurn, sessionOf } from '../hardening/helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const LIMIT = 64 * 1024;
const paused = new Set<Socket>();

afterEach(async () => {
  for (const socket of paused) socket.destroy();
  paused.clear();
  await closeClients();
  await closeServers();
});

function pauseReading(client: RawClient): Socket {
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  paused.add(socket);
  return socket;
}

function disconnectReason(server: StompServer, sessionId: string): Promise<CloseReason> {
  return new Promise((resolve) => {
    server.on('disconnect', (info) => {
      if (info.sessionId === sessionId) resolve(info.reason);
    });
  });
}

/** Records the most the broker held for `session` (socket buffer plus own queue) after each write. */
function trackHeld(session: Session): { max: number; pausedSeen: boolean } {
  const seen = { max: 0, pausedSeen: false };
  const connection = session.connection as { send(data: Uint8Array, binary: boolean): void };
  const send = connection.send.bind(connection);
  connection.send = (data, binary) => {
    send(data, binary);
    seen.max = Math.max(seen.max, held(session));
    seen.pausedSeen ||= session.inputPaused;
  };
  return seen;
}

/** Bytes in ArrayBuffers (bodies, socket buffers) after a full collection. */
function arrayBufferBytes(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

async function subscribedTo(running: Running, destination: string): Promise<RawClient> {
  const c = await RawClient.connected(running.ws('/stomp'));
  c.send(`SUBSCRIBE\nid:s\ndestination:${destination}\nreceipt:sub\n\n\0`);
  await c.nextCommand('RECEIPT');
  return c;
}

/**
 * Floods `c` with SENDs that each ask for a RECEIPT of about 1 KiB (a long receipt id), 50 to
 * a WebSocket message, yielding between messages; stops once the session is no longer
 * connected or after 400 messages (20 MB of RECEIPTs). Returns how many frames were sent.
 */
async function receiptFlood(c: RawClient, session: Session): Promise<number> {
  const pad = 'r'.repeat(1000);
  let sent = 0;
  for (let i = 0; i < 400 && session.state === 'connected'; i++) {
    let batch = '';
    for (let j = 0; j < 50; j++) batch += `SEND\ndestination:/topic/nobody\nreceipt:${i}-${j}-${pad}\n\n\0`;
    c.send(batch);
    sent += 50;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

/** A 1-byte SEND followed by `padding` EOLs (heart-beats), all in one WebSocket message. */
function padded(frame: string, padding = 1_000_000): string {
  return frame + '\n'.repeat(padding);
}

describe('RECEIPTs to a client that stopped reading', () => {
  it('count against sendBufferLimit: the session is cut off near the limit while a bystander keeps receiving', async () => {
    const running = await startServer({ sendBufferLimit: LIMIT });
    const bystander = await subscribedTo(running, '/topic/b');
    const slow = await RawClient.connected(running.ws('/stomp'));
    const session = sessionOf(running.server, slow);
    const seen = trackHeld(session);
    const reason = disconnectReason(running.server, session.sessionId);
    const socket = pauseReading(slow);
    const sent = await receiptFlood(slow, session);
    expect(session.state).not.toBe('connected');
    socket.resume(); // the client reads again: it gets what was sent, then the ERROR and the close
    expect(await reason).toBe('slow-consumer');
    expect(sent).toBeLessThan(20000);
    expect(seen.max).toBeLessThanOrEqual(LIMIT + 2048); // the limit plus the RECEIPT in hand
    running.server.template.convertAndSend('/topic/b', 'still here');
    expect((await bystander.nextCommand('MESSAGE')).body.toString()).toBe('still here');
    expect((await slow.closed).code).toBe(4500);
    expect(slow.frames.at(-1)!.headers).toContainEqual(['code', 'STOMP_ERR_SLOW_CONSUMER']);
    expect(slow.frames.filter((f) => f.command === 'RECEIPT').length).toBeLessThan(sent);
    expect(running.server.stats().backpressure.bufferBreaches).toBe(1);
  });

  it('under drop-oldest, stop the broker reading from that client and stay within the limit until sendTimeLimit ends it', async () => {
    const running = await startServer({ sendBufferLimit: LIMIT, slowConsumerPolicy: 'drop-oldest', sendTimeLimit: 500 });
    const slow = await RawClient.connected(running.ws('/stomp'));
    const session = sessionOf(running.server, slow);
    const seen = trackHeld(session);
    const reason = disconnectReason(running.server, session.sessionId);
    pauseReading(slow);
    await receiptFlood(slow, session);
    expect(await reason).toBe('slow-consumer');
    expect(seen.pausedSeen).toBe(true);
    expect(seen.max).toBeLessThanOrEqual(LIMIT + 2048);
  });

  it('queue behind MESSAGEs a drop-oldest outbox holds, never overtaking one', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const running = await startServer({ sendBufferLimit: LIMIT, slowConsumerPolicy: 'drop-oldest', sendTimeLimit: 60000 });
    running.server.onMessage('/hold', () => hold);
    const slow = await subscribedTo(running, '/topic/flood');
    const session = sessionOf(running.server, slow);
    slow.send('SEND\ndestination:/hold\nreceipt:after\n\n{}\0');
    await eventually('the handler to hold the session', () => session.backlog.frames === 0 && running.server.counters.framesIn.SEND === 1);
    const socket = pauseReading(slow);
    const pad = 'x'.repeat(4096);
    let n = 0;
    const publish = (): void => void running.server.template.convertAndSend('/topic/flood', `${n++} ${pad}`);
    for (let i = 0; n < 4000 && (session.flow.outbox === undefined || i < 64); i++) {
      publish();
      if (i % 16 === 15) await nextTurn();
    }
    expect(session.flow.outbox).toBeDefined();
    const before = n;
    release();
    await eventually('the RECEIPT to be written', () => (session.flow.outbox?.fixedBytes ?? 0) > 0 || session.flow.outbox === undefined);
    for (let i = 0; i < 10; i++) publish();
    socket.resume();
    await slow.nextMatching((f) => f.command === 'MESSAGE' && f.body.toString().startsWith(`${n - 1} `), 'the last message', 10000);
    const order = slow.frames.slice(2).map((f) => (f.command === 'RECEIPT' ? 'R' : Number(f.body.toString().split(' ', 1)[0])));
    const at = order.indexOf('R');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(order.slice(0, at).every((m) => typeof m === 'number' && m < before)).toBe(true);
    expect(order.slice(at + 1).every((m) => typeof m === 'number' && m >= before)).toBe(true);
    expect(order.slice(at + 1)).toHaveLength(10); // the messages after it were not dropped
  });
});

describe('frames held in a transaction', () => {
  it('do not pin the megabyte of EOLs each 1-byte SEND came with, and COMMIT delivers them in order', async () => {
    const running = await startServer();
    const subscriber = await subscribedTo(running, '/topic/tx');
    const c = await RawClient.connected(running.ws('/stomp'));
    const session = sessionOf(running.server, c);
    c.send('BEGIN\ntransaction:t\nreceipt:b\n\n\0');
    await c.nextCommand('RECEIPT');
    const baseline = arrayBufferBytes();
    const count = 40;
    for (let i = 0; i < count; i++) {
      c.send(padded(`SEND\ndestination:/topic/tx\ntransaction:t\nx-seq:${i}\n${i === count - 1 ? 'receipt:last\n' : ''}\n${String.fromCharCode(65 + (i % 26))}\0`));
    }
    await c.nextCommand('RECEIPT', 20000);
    const frames = session.transactions.get('t')!;
    expect(frames).toHaveLength(count);
    // Each body in memory of its own, sized exactly: not a view of its 1 MB transport message.
    expect(frames.reduce((n, f) => n + f.body.buffer.byteLength, 0)).toBe(count);
    expect(session.transactionBytes).toBeLessThan(count * 512); // counted bytes (held-frame.ts): objects and header characters
    const grown = arrayBufferBytes() - baseline;
    expect(grown).toBeLessThan(8 * 1024 * 1024); // 40 MB were sent
    c.send('COMMIT\ntransaction:t\nreceipt:c\n\n\0');
    await c.nextCommand('RECEIPT');
    expect(session.transactionBytes).toBe(0);
    const messages = await subscriber.messagesMatching((m) => m.data.toString().startsWith('MESSAGE'), count);
    expect(messages).toHaveLength(count);
    const got = subscriber.frames.filter((f) => f.command === 'MESSAGE');
    expect(got.map((f) => header(f, 'x-seq'))).toEqual([...Array(count).keys()].map(String));
    expect(got.map((f) => f.body.toString())).toEqual([...Array(count).keys()].map((i) => String.fromCharCode(65 + (i % 26))));
  });

  it('stop at maxTransactionBytes (256 KiB by default) across open transactions with STOMP_ERR_TRANSACTION_LIMIT', async () => {
    expect(DEFAULTS.maxTransactionBytes).toBe(256 * 1024);
    const running = await startServer();
    const c = await RawClient.connected(running.ws('/stomp'));
    c.send('BEGIN\ntransaction:a\n\n\0BEGIN\ntransaction:b\nreceipt:b\n\n\0');
    await c.nextCommand('RECEIPT');
    const body = 'x'.repeat(60000);
    for (let i = 0; i < 4; i++) c.send(`SEND\ndestination:/topic/tx\ntransaction:${i % 2 === 0 ? 'a' : 'b'}\n\n${body}\0`);
    c.send(`SEND\ndestination:/topic/tx\ntransaction:a\nreceipt:over\n\n${body}\0`);
    const error = await c.nextCommand('ERROR');
    expect([header(error, 'code'), header(error, 'receipt-id')]).toEqual(['STOMP_ERR_TRANSACTION_LIMIT', 'over']);
    expect(header(error, 'message')).toContain('maxTransactionBytes (262144 bytes)');
    expect((await c.closed).code).toBe(1000);
  });
});

describe('frames waiting behind an asynchronous effect', () => {
  it('do not pin their transport messages, and run in order once the effect is done', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const running = await startServer();
    running.server.onMessage('/hold', () => hold);
    const subscriber = await subscribedTo(running, '/topic/after');
    const c = await RawClient.connected(running.ws('/stomp'));
    const session = sessionOf(running.server, c);
    c.send('SEND\ndestination:/hold\nreceipt:held\n\n{}\0');
    const baseline = arrayBufferBytes();
    const count = 40;
    for (let i = 0; i < count; i++) c.send(padded(`SEND\ndestination:/topic/after\nreceipt:r${i}\n\n${i % 10}\0`));
    await eventually('every frame to wait', () => session.backlog.frames === count, 20000);
    expect(session.backlog.bytes).toBeLessThan(count * 512);
    expect(arrayBufferBytes() - baseline).toBeLessThan(8 * 1024 * 1024); // 40 MB were sent
    release();
    await c.nextMatching((f) => header(f, 'receipt-id') === `r${count - 1}`, 'the last receipt', 10000);
    expect(c.frames.filter((f) => f.command === 'RECEIPT').map((f) => header(f, 'receipt-id'))).toEqual(['held', ...[...Array(count).keys()].map((i) => `r${i}`)]);
    await subscriber.messagesMatching((m) => m.data.toString().startsWith('MESSAGE'), count);
    expect(subscriber.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString())).toEqual([...Array(count).keys()].map((i) => String(i % 10)));
    expect(session.backlog).toEqual({ frames: 0, bytes: 0 });
  });

  it('pause reading past half of maxBacklogBytes (256 KiB by default), so TCP holds the rest instead of an ERROR', async () => {
    expect(DEFAULTS.maxBacklogBytes).toBe(256 * 1024);
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const running = await startServer();
    running.server.onMessage('/hold', () => hold);
    const c = await RawClient.connected(running.ws('/stomp'));
    const session = sessionOf(running.server, c);
    c.send('SEND\ndestination:/hold\n\n{}\0');
    const body = 'y'.repeat(10000);
    const count = 100; // 1 MB: four times the bound
    let most = 0;
    for (let i = 0; i < count; i++) {
      c.send(`SEND\ndestination:/topic/none\nreceipt:p${i}\n\n${body}\0`);
      if (i % 8 === 7) await nextTurn();
      most = Math.max(most, session.backlog.bytes);
    }
    await eventually('the session to stop reading', () => session.inputPaused);
    await new Promise((resolve) => setTimeout(resolve, 200)); // time for anything ws had read already to arrive
    most = Math.max(most, session.backlog.bytes);
    expect(most).toBeLessThanOrEqual(256 * 1024);
    expect(session.backlog.frames).toBeLessThan(count);
    expect(session.state).toBe('connected');
    release();
    await c.nextMatching((f) => header(f, 'receipt-id') === `p${count - 1}`, 'the last receipt', 10000);
    expect(c.frames.filter((f) => f.command === 'RECEIPT').map((f) => header(f, 'receipt-id'))).toEqual([...Array(count).keys()].map((i) => `p${i}`));
    expect(session.inputPaused).toBe(false);
    expect(c.closeCode).toBeUndefined();
  });
});
