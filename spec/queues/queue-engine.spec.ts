/** The queue engine against its store seam (broker/queues/queue-engine.ts, queue-store.ts), driven by plain subscribers. */
import { silentLogger } from '../../broker';
import { BrokerMessage } from '../../broker/messaging/broker-message';
import type { Subscriber, Subscription } from '../../broker/messaging/message-broker';
import { QueueEngine } from '../../broker/queues/queue-engine';
import { QueueRules, validateQueues } from '../../broker/queues/queue-rules';
import type { LoadedEntry, QueueEntry, QueueStore, QueueStoreStats, RemoveReason } from '../../broker/queues/queue-store';

/** A store that records every call, and can answer `load()` with given entries. */
class RecordingStore implements QueueStore {
  readonly calls: string[] = [];
  constructor(private readonly loaded: readonly LoadedEntry[] = []) {}
  load(): readonly LoadedEntry[] {
    return this.loaded;
  }
  enqueue(e: QueueEntry): void {
    this.calls.push(`enqueue ${e.id} ${e.destination}`);
  }
  delivered(e: QueueEntry): void {
    this.calls.push(`delivered ${e.id} #${e.deliveries}`);
  }
  requeued(e: QueueEntry): void {
    this.calls.push(`requeued ${e.id}`);
  }
  remove(e: QueueEntry, reason: RemoveReason): void {
    this.calls.push(`remove ${e.id} ${reason}`);
  }
  stats(): QueueStoreStats {
    return { messages: 0, bytes: 0 };
  }
  close(): void {}
}

const rules = new QueueRules(validateQueues([{ destinations: '/queue/**', maxRedeliveries: 1, deadLetter: '/queue/DLQ.{name}' }]));
const engines: QueueEngine[] = [];
afterEach(() => engines.splice(0).forEach((e) => void e.close()));

function engine(store: QueueStore): QueueEngine {
  const e = new QueueEngine({ rules, store, budget: 1 << 20, defaultPrefetch: 100, logger: silentLogger, publishElsewhere: () => undefined });
  engines.push(e);
  return e;
}

/** A subscriber that keeps what it is handed. */
function subscription(destination: string, ack: Subscription['ack'] = 'client-individual', sessionId = 's1'): { sub: Subscription; got: BrokerMessage[] } {
  const got: BrokerMessage[] = [];
  const subscriber: Subscriber = { sessionId, user: undefined, deliver: (_s, m) => void got.push(m) };
  return { sub: { id: 'sub', destination, ack, subscriber }, got };
}

const message = (body: string, destination = '/queue/a'): BrokerMessage => new BrokerMessage(destination, Buffer.from(body), 'text/plain', [], undefined, true);

describe('QueueEngine and its store', () => {
  it('tells the store of every enqueue, delivery, ack, requeue and dead-letter move, in order', () => {
    const store = new RecordingStore();
    const e = engine(store);
    const policy = e.policyFor('/queue/a')!;
    const { sub, got } = subscription('/queue/a');
    e.enqueue(policy, undefined, message('one'), Number.POSITIVE_INFINITY);
    e.subscribe(sub, policy);
    e.nack(sub, [got[0].messageId]);
    e.nack(sub, [got[1].messageId]);
    expect(store.calls).toEqual(['enqueue 1 /queue/a', 'delivered 1 #1', 'requeued 1', 'delivered 1 #2', 'enqueue 2 /queue/DLQ.a', 'remove 1 dead-lettered']);
    const { sub: dlq, got: dead } = subscription('/queue/DLQ.a', 'client', 's2');
    e.subscribe(dlq, e.policyFor('/queue/DLQ.a')!);
    e.ack(dlq, [dead[0].messageId]);
    expect(store.calls.slice(-2)).toEqual(['delivered 2 #1', 'remove 2 acked']);
  });

  it('brings loaded entries back in id order, those seen in flight as redeliveries, and numbers new ones after them', () => {
    const entry = (id: number, deliveries: number): QueueEntry => ({ id, queue: '/queue/a', destination: '/queue/a', user: undefined, message: message(`m${id}`), expiresAt: Number.POSITIVE_INFINITY, deliveries });
    const store = new RecordingStore([
      { entry: entry(7, 0), inFlight: false },
      { entry: entry(3, 1), inFlight: true },
    ]);
    const e = engine(store);
    expect(e.loaded).toBe(true);
    const policy = e.policyFor('/queue/a')!;
    e.enqueue(policy, undefined, message('new'), Number.POSITIVE_INFINITY);
    const { sub, got } = subscription('/queue/a');
    e.subscribe(sub, policy);
    expect(got.map((m) => Buffer.from(m.body).toString())).toEqual(['m3', 'm7', 'new']);
    expect(got.map((m) => m.headers.find(([k]) => k === 'redelivered')?.[1])).toEqual(['true', undefined, undefined]);
    expect(store.calls[0]).toBe('requeued 3');
    expect(store.calls).toContain('enqueue 8 /queue/a');
  });

  it('gates an ACK on the store: the promise of remove is what the ACK returns', async () => {
    let release!: () => void;
    const store = new RecordingStore();
    store.remove = (e, reason) => {
      store.calls.push(`remove ${e.id} ${reason}`);
      return new Promise<void>((r) => (release = r));
    };
    const e = engine(store);
    const policy = e.policyFor('/queue/a')!;
    const { sub, got } = subscription('/queue/a');
    e.subscribe(sub, policy);
    e.enqueue(policy, undefined, message('x'), Number.POSITIVE_INFINITY);
    let done = false;
    const acked = e.ack(sub, [got[0].messageId]);
    expect(acked).toBeInstanceOf(Promise);
    void (acked as Promise<void>).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await acked;
    expect(done).toBe(true);
  });

  it('returns every in-flight message of a session that ends, to another consumer', () => {
    const e = engine(new RecordingStore());
    const policy = e.policyFor('/queue/a')!;
    const first = subscription('/queue/a', 'client-individual', 'gone');
    e.subscribe(first.sub, policy);
    for (const b of ['a', 'b']) e.enqueue(policy, undefined, message(b), Number.POSITIVE_INFINITY);
    const second = subscription('/queue/a', 'client-individual', 'stays');
    e.subscribe(second.sub, policy);
    expect(second.got).toHaveLength(0);
    e.removeSession('gone');
    expect(second.got.map((m) => Buffer.from(m.body).toString())).toEqual(['a', 'b']);
    expect(e.stats().byDestination['/queue/a']).toMatchObject({ inFlight: 2, consumers: 1, redelivered: 2 });
  });
});
