/**
 * The setting of every attack spec: a fresh child-process broker per test and a bystander
 * session publishing to itself next to the attack, both ended in afterEach (the process by
 * PID). `arena()` installs the hooks and returns a getter for the current test's pair.
 */
import { connect, type Socket } from 'node:net';
import type WebSocket from 'ws';
import { Bystander } from '../../helpers/bystander';
import { killChildBrokers, removeChildBrokerBundle, startChildBroker, type ChildBroker, type ChildBrokerConfig } from '../../helpers/child-broker';
import { closeClients } from '../../helpers/clients';

export interface Arena {
  readonly broker: ChildBroker;
  readonly bystander: Bystander;
}

/** Installs beforeEach/afterEach hooks: a child broker started with `config` and a bystander on `endpoint`. */
export function arena(config: ChildBrokerConfig = {}, endpoint = '/stomp'): () => Arena {
  let current: Arena | undefined;
  beforeEach(async () => {
    const broker = await startChildBroker(config);
    const bystander = await Bystander.start(broker.http(endpoint));
    current = { broker, bystander };
  });
  afterEach(async () => {
    // The broker first: a stalled one would hold the clients' close handshakes.
    await killChildBrokers();
    await current?.bystander.stop(100);
    current = undefined;
    await closeClients();
  });
  afterAll(() => removeChildBrokerBundle());
  return () => {
    if (current === undefined) throw new Error('arena() is only available inside a test');
    return current;
  };
}

/** Resolves with `promise`'s value, or with the error it rejected with: an outcome to assert after the figures. */
export function outcome<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}

/** Waits `ms`. For letting a broker act on bytes already sent, never as a substitute for an event. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a {@link pump} managed to send. */
export interface Pumped {
  readonly sent: number;
  readonly bytes: number;
  /** Why it stopped early: the socket closed, or the time ran out. */
  readonly stopped: 'done' | 'closed' | 'timeout';
}

/**
 * Sends `count` WebSocket messages made by `make(i)` as fast as the socket takes them (no more
 * than `highWater` bytes waiting in our own process), until all are sent, the socket closes or
 * `ms` pass: an attack bounded in count and in time.
 */
export async function pump(ws: WebSocket, count: number, make: (i: number) => string | Buffer, { highWater = 4 << 20, ms = 15000 } = {}): Promise<Pumped> {
  const deadline = Date.now() + ms;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    while (ws.bufferedAmount > highWater) {
      if (ws.readyState !== ws.OPEN) return { sent: i, bytes, stopped: 'closed' };
      if (Date.now() > deadline) return { sent: i, bytes, stopped: 'timeout' };
      await pause(2);
    }
    if (ws.readyState !== ws.OPEN) return { sent: i, bytes, stopped: 'closed' };
    if (Date.now() > deadline) return { sent: i, bytes, stopped: 'timeout' };
    const message = make(i);
    bytes += message.length;
    ws.send(message, { binary: false });
    if (i % 64 === 63) await pause(0); // let the socket write and events arrive
  }
  return { sent: count, bytes, stopped: 'done' };
}

/** A raw TCP socket to one of the child's ports, with everything it received and when it closed. */
export interface Raw {
  readonly socket: Socket;
  readonly received: () => string;
  /** Resolves with the ms from connecting to the close. */
  readonly closed: Promise<number>;
}

/** Opens a raw TCP socket to 127.0.0.1:`port`. */
export function openRaw(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const started = Date.now();
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), closed }));
    socket.once('error', reject);
  });
}

/** `p`, or 'timeout' after `ms`; the timer is cleared once either settles, so none outlives the test. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** `p`, or a rejection saying `why` after `ms`; the timer is cleared once either settles. */
export function rejectWithin<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  return within(p, ms).then((r) => (r === 'timeout' ? Promise.reject(new Error(why)) : r));
}
