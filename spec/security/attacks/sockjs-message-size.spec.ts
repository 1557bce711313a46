/**
 * Finding 8 of the security issue: the SockJS websocket transport accepted a 48 MB message
 * (faye-websocket's 64 MiB default) while plain WebSocket caps messages at 1 MiB.
 *
 * The contract: one message limit for every transport. A SockJS websocket message past it is
 * refused the way plain WebSocket refuses it (close 1009, RFC 6455 §7.4.1, before the message
 * is buffered), so the broker never holds it.
 */
import WebSocket from 'ws';
import { RawSockJsSocket } from '../../helpers/sockjs-raw';
import { expectWithin, log, Measurement } from '../measure';
import { arena, outcome, rejectWithin } from './arena';

const get = arena();
const MiB = 1024 * 1024;

/** A SockJS message carrying one SEND whose body is `size` bytes. */
function bigMessage(size: number): string {
  return JSON.stringify([`SEND\ndestination:/topic/big\n\n${'x'.repeat(size)}\0`]);
}

/** Opens a plain WebSocket, sends `message` and resolves with the close code the broker ends it with. */
async function plainCloseCode(url: string, message: string): Promise<number> {
  const ws = new WebSocket(url, ['v12.stomp']);
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  ws.send(message);
  return closed;
}

describe('a SockJS websocket message past the message limit', () => {
  it('of 48 MB is refused before it is buffered', async () => {
    const { broker, bystander } = get();
    const socket = await RawSockJsSocket.open(broker.ws('/stomp'));
    const message = bigMessage(48 * MiB);
    const m = await Measurement.begin('F8 48 MB SockJS websocket message', broker, bystander);
    const started = Date.now();
    socket.ws.send(message);
    const closed = await outcome(rejectWithin(socket.ended(15000), 3000, 'no close within 3000 ms'));
    const closedMs = Date.now() - started;
    const figures = await m.end();
    log(figures, `socket ${closed instanceof Error ? closed.message : `ended after ${closedMs} ms, close ${socket.closeCode ?? JSON.stringify(socket.closeFrame)}`}`);
    expectWithin(figures, { rssPeakGrowthMB: 24 });
    if (closed instanceof Error) throw closed;
  }, 40000);

  it('of 2 MiB is refused as plain WebSocket refuses it: the same close code', async () => {
    const { broker, bystander } = get();
    const message = bigMessage(2 * MiB);
    const plain = await rejectWithin(plainCloseCode(broker.ws('/stomp'), message), 5000, 'plain WebSocket did not close within 5000 ms');
    const socket = await RawSockJsSocket.open(broker.ws('/stomp'));
    const m = await Measurement.begin('F8 2 MiB SockJS websocket message', broker, bystander);
    socket.ws.send(message);
    const sockjs = await outcome(rejectWithin(socket.closed, 5000, 'the SockJS websocket did not close within 5000 ms'));
    const figures = await m.end();
    log(figures, `plain WebSocket closed ${plain}; SockJS websocket ${sockjs instanceof Error ? sockjs.message : `closed ${sockjs}`}, frames ${JSON.stringify(socket.frames).slice(0, 200)}`);
    expectWithin(figures);
    expect(plain).toBe(1009);
    expect(sockjs).toBe(plain);
  }, 40000);
});
