import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { inBatches } from './lanes';
import type { LoadResult, LoadSpec, QueueSpec } from './load-spec';
import { measureWindow, sleep } from './measure-window';
import { StompClient, type Target } from './stomp-client';
import { ackFrame, BODY_BYTES, bodyStart, headerValue, sendFrame, subscribeFrame } from './stomp-frames';

const DOT = 0x2e; // '.'

/** One producer: what it sent, what came back as RECEIPT, and what its consumers received. */
interface Producer {
  readonly index: number;
  readonly client: StompClient;
  sent: number;
  received: number;
  waitingDrain: boolean;
}

/**
 * Which message of which producer has been received, and how often: one byte per message,
 * grown by doubling, so the drain can prove that nothing was lost or duplicated.
 */
class Ledger {
  private seen: Uint8Array[];
  duplicated = 0;
  redelivered = 0;
  unique = 0;

  constructor(producers: number) {
    this.seen = Array.from({ length: producers }, () => new Uint8Array(4096));
  }

  /** Records message `seq` of producer `p`; false when it had been received before. */
  record(p: number, seq: number): boolean {
    let s = this.seen[p];
    if (seq >= s.length) {
      const grown = new Uint8Array(Math.max(s.length * 2, seq + 1));
      grown.set(s);
      this.seen[p] = s = grown;
    }
    if (s[seq] !== 0) {
      this.duplicated++;
      return false;
    }
    s[seq] = 1;
    this.unique++;
    return true;
  }

  /** Messages of producer `p` below `sent` never received. */
  missing(p: number, sent: number): number {
    const s = this.seen[p];
    let n = 0;
    for (let i = 0; i < sent; i++) if (i >= s.length || s[i] === 0) n++;
    return n;
  }
}

/** A body of exactly `BODY_BYTES` that starts with `<producer>.<seq>.`, so a consumer knows which message it got. */
function body(p: number, seq: number): string {
  const id = `${p}.${seq}.`;
  return id + 'x'.repeat(BODY_BYTES - id.length);
}

/** Reads `<producer>.<seq>.` at `at`; -1 when malformed. */
function readId(buf: Buffer, at: number, end: number): [number, number] {
  let p = 0;
  let i = at;
  for (; i < end && buf[i] !== DOT; i++) p = p * 10 + buf[i] - 0x30;
  let seq = 0;
  for (i++; i < end && buf[i] !== DOT; i++) seq = seq * 10 + buf[i] - 0x30;
  return i < end ? [p, seq] : [-1, -1];
}

/**
 * The queue scenarios (S10, S11): `producers` producers and `consumers` competing consumers of
 * one queue. Consumers subscribe with `ack:client-individual` and a prefetch, and answer every
 * MESSAGE with its ACK (by the 1.2 `ack` header, or 1.1's `message-id`), the ACKs of one
 * received chunk written together. Producers keep at most `window` messages ahead of what
 * their consumers received and, persistent, at most `receiptWindow` SENDs without RECEIPT.
 * The figure is messages received and acknowledged per second over the window; after it,
 * producers stop and the queue drains, and every message sent is checked to have arrived
 * exactly once.
 */
export async function runQueue(spec: LoadSpec, target: Target): Promise<LoadResult> {
  const q = spec.queue!;
  const destination = `/queue/stompbox-bench.${q.persistent ? 'durable' : 'plain'}.${randomBytes(4).toString('hex')}`;
  const ledger = new Ledger(q.producers);
  const producers: Producer[] = [];
  let acked = 0;
  // Nothing is published until every consumer's SUBSCRIBE is receipted.
  let stopped = true;
  const send = q.persistent ? { persistent: 'true', ...q.sendHeaders } : q.sendHeaders;
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(pump);
  };

  const consumers = Array.from({ length: q.consumers }, () => {
    let acks: string[] = [];
    const client = new StompClient(spec.transport, target, (buf, start, end) => {
      const at = bodyStart(buf, start, end);
      const [p, seq] = at === -1 ? [-1, -1] : readId(buf, at, end);
      if (p >= 0 && p < producers.length && ledger.record(p, seq)) producers[p].received++;
      if (headerValue(buf, start, end, 'redelivered') === 'true') ledger.redelivered++;
      acks.push(ackFrame(headerValue(buf, start, end, 'ack'), 'sub-0', headerValue(buf, start, end, 'message-id') ?? ''));
      acked++;
    });
    client.onActivity = () => {
      if (acks.length > 0) {
        client.sendAll(acks);
        acks = [];
      }
      schedule();
    };
    return client;
  });
  for (let i = 0; i < q.producers; i++) {
    const client = new StompClient(spec.publisherTransport ?? spec.transport, target);
    client.onActivity = schedule;
    producers.push({ index: i, client, sent: 0, received: 0, waitingDrain: false });
  }

  const all = [...consumers, ...producers.map((p) => p.client)];
  await inBatches(all.length, 50, (i) => all[i].connect());
  const subscribe = { ack: 'client-individual', [q.prefetchHeader]: String(q.prefetch), ...q.subscribeHeaders };
  for (const c of consumers) c.send(subscribeFrame('sub-0', destination, 'sub-0', subscribe));
  await Promise.all(consumers.map((c) => within(c.waitFor('receipt', 1), 20_000, 'a consumer had no RECEIPT for its SUBSCRIBE')));

  function pump(): void {
    scheduled = false;
    if (stopped) return;
    for (const p of producers) {
      if (p.waitingDrain) continue;
      let room = q.window - (p.sent - p.received);
      if (q.persistent) room = Math.min(room, q.receiptWindow - (p.sent - p.client.counts.receipt));
      if (room <= 0) continue;
      const frames: string[] = [];
      for (; room > 0; room--, p.sent++) frames.push(sendFrame(destination, body(p.index, p.sent), q.persistent ? String(p.sent) : undefined, send));
      if (!p.client.sendAll(frames)) {
        p.waitingDrain = true;
        void p.client.drained().then(() => {
          p.waitingDrain = false;
          schedule();
        });
      }
    }
  }
  stopped = false;
  const kick = setInterval(schedule, 5);
  schedule();
  const w = await measureWindow(
    spec,
    () => acked,
    () => producers.reduce((n, p) => n + p.sent, 0),
  );
  stopped = true;
  clearInterval(kick);
  const drain = await drainQueue(q, producers, ledger, consumers);
  const lost = producers.reduce((n, p) => n + ledger.missing(p.index, p.sent), 0);
  let errors = 0;
  for (const c of all) errors += c.counts.error;
  for (const c of all) c.close();
  return {
    deliveredPerSec: w.delivered / w.seconds,
    publishedPerSec: w.published / w.seconds,
    delivered: w.delivered,
    seconds: w.seconds,
    lost,
    duplicated: ledger.duplicated,
    redelivered: ledger.redelivered,
    drainSeconds: drain,
    loadgenCpu: { cores: w.cores },
    errors,
  };
}

/**
 * Waits until every message sent has been received (and, persistent, every RECEIPT is in) or
 * `drainMs` passed; then gives the last ACKs a moment to reach the broker. Returns the seconds it took.
 */
async function drainQueue(q: QueueSpec, producers: Producer[], ledger: Ledger, consumers: StompClient[]): Promise<number> {
  const t0 = performance.now();
  const sent = (): number => producers.reduce((n, p) => n + p.sent, 0);
  const receipted = (): boolean => !q.persistent || producers.every((p) => p.client.counts.receipt >= p.sent);
  while (performance.now() - t0 < q.drainMs && (ledger.unique < sent() || !receipted()) && consumers.some((c) => c.open)) await sleep(20);
  await sleep(100);
  return (performance.now() - t0) / 1000;
}

function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
