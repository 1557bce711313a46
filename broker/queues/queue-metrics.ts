import type * as PromClient from 'prom-client';
import type { QueueCounts } from './message-queue';
import type { QueueStats } from './queue-stats';

type Gauge = (name: string, help: string, labels: string[], collect: (g: PromClient.Gauge<string>) => void) => void;
type Counter = (name: string, help: string, labels: string[], collect: (c: PromClient.Counter<string>, s: { readonly queues: QueueStats }) => void) => void;

/** The per-queue counters as Prometheus counters: `stompbox_queue_<name>_total{destination}`. */
const COUNTERS: readonly [keyof QueueCounts, string, string][] = [
  ['enqueued', 'enqueued', 'Messages that joined a queue'],
  ['delivered', 'delivered', 'Queue deliveries, redeliveries included'],
  ['redelivered', 'redelivered', 'Queue deliveries after the first (redelivered:true)'],
  ['acked', 'acked', 'Queue messages acknowledged (or delivered under ack:auto)'],
  ['deadLettered', 'dead_lettered', 'Queue messages moved to their dead-letter destination'],
  ['expired', 'expired', 'Queue messages that expired before delivery'],
  ['dropped', 'dropped', 'Queue messages dropped (overflow, redelivery limit without dead-letter destination, expiry)'],
];

/**
 * Queue metrics (docs/queues.md "Metrics"): depth and in-flight gauges and the counters, each
 * per destination (the deepest 1,000 queues; principal-based user queues added up over their
 * users), and the store's size.
 */
export function registerQueueMetrics(gauge: Gauge, counter: Counter, stats: () => QueueStats): void {
  gauge('stompbox_queue_depth', 'Messages waiting in a queue', ['destination'], (g) => {
    for (const [destination, c] of Object.entries(stats().byDestination)) g.set({ destination }, c.depth);
  });
  gauge('stompbox_queue_in_flight', 'Queue messages delivered and not acknowledged', ['destination'], (g) => {
    for (const [destination, c] of Object.entries(stats().byDestination)) g.set({ destination }, c.inFlight);
  });
  gauge('stompbox_queue_bytes', 'Bytes of queue messages held, against queueBytes', [], (g) => g.set(stats().bytes));
  gauge('stompbox_queue_store_messages', 'Queue messages the queue store holds', [], (g) => g.set(stats().store.messages));
  gauge('stompbox_queue_store_bytes', 'Bytes the queue store uses (its file for a durable store)', [], (g) => g.set(stats().store.bytes));
  for (const [field, name, help] of COUNTERS) {
    counter(`stompbox_queue_${name}_total`, help, ['destination'], (c, s) => {
      for (const [destination, counts] of Object.entries(s.queues.byDestination)) if (counts[field] > 0) c.inc({ destination }, counts[field]);
    });
  }
}
