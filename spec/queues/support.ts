/** Shared steps of the queue specs: a server with queue rules and raw STOMP 1.2 sessions over `ws`. */
import type { StompServerConfig } from '../../broker';
import { header, RawClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { startServer, type Running } from '../helpers/server';

export const QUEUE = '/queue/jobs';

/** The reference app's rule: every `/queue/...` a queue, dead letters to `/queue/DLQ.<name>` after 3 redeliveries. */
export const REFERENCE_RULE = { destinations: '/queue/**', maxRedeliveries: 3, deadLetter: '/queue/DLQ.{name}' };

export async function queueServer(config: StompServerConfig = {}): Promise<{ running: Running; url: string }> {
  const running = await startServer({ queues: [REFERENCE_RULE], ...config });
  return { running, url: running.ws('/stomp') };
}

let receipts = 0;

/** Sends `frame` (without its NUL) with a receipt header and waits for the RECEIPT, or returns the ERROR. */
export async function withReceipt(c: RawClient, frame: string): Promise<PlainFrame> {
  const id = `rc-${++receipts}`;
  const [head, ...body] = frame.split('\n\n');
  c.send(`${head}\nreceipt:${id}\n\n${body.join('\n\n')}\0`);
  return c.nextMatching((f) => f.command === 'ERROR' || (f.command === 'RECEIPT' && header(f, 'receipt-id') === id), `RECEIPT ${id}`);
}

/** A connected session subscribed to `destination` with a receipt. */
export async function consumer(url: string, destination = QUEUE, headers: Record<string, string> = {}): Promise<RawClient> {
  const c = await RawClient.connected(url);
  const lines = Object.entries({ id: 's', destination, ack: 'client-individual', ...headers }).map(([k, v]) => `${k}:${v}`);
  const r = await withReceipt(c, `SUBSCRIBE\n${lines.join('\n')}\n\n`);
  if (r.command !== 'RECEIPT') throw new Error(`SUBSCRIBE answered ${r.command}: ${header(r, 'message')}`);
  return c;
}

/** Sends each body to `destination`, the last with a receipt (so all were handled when it resolves). */
export async function sendAll(c: RawClient, destination: string, bodies: readonly string[], headers: Record<string, string> = {}): Promise<void> {
  const extra = Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('');
  bodies.slice(0, -1).forEach((b) => c.send(`SEND\ndestination:${destination}\n${extra}\n${b}\0`));
  const r = await withReceipt(c, `SEND\ndestination:${destination}\n${extra}\n${bodies[bodies.length - 1]}`);
  if (r.command !== 'RECEIPT') throw new Error(`SEND answered ${r.command}: ${header(r, 'message')}`);
}

/** The MESSAGE frames received so far (whether or not `next()` returned them). */
export const messagesOf = (c: RawClient): PlainFrame[] => c.frames.filter((f) => f.command === 'MESSAGE');

/** Waits until `c` received `n` MESSAGEs in all. */
export async function messagesAt(c: RawClient, n: number, ms = 5000): Promise<PlainFrame[]> {
  await totalAt([c], n, ms);
  return messagesOf(c);
}

/** Waits until `total` MESSAGEs arrived at the clients together. */
export async function totalAt(clients: readonly RawClient[], total: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (clients.reduce((n, c) => n + messagesOf(c).length, 0) < total) {
    if (Date.now() > deadline) throw new Error(`${total} MESSAGEs expected, ${clients.map((c) => messagesOf(c).length).join('+')} arrived`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets what is in flight on the loopback arrive (for "nothing more came" checks). */
export const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const bodyOf = (f: PlainFrame): string => f.body.toString();
export { header };
