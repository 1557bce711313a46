import type { MessageQueue, QueueCounts } from './message-queue';
import type { QueueStoreStats } from './queue-store';

/** Most queues `stats().queues.byDestination` lists (the deepest first), so a flood of queue names cannot grow a scrape. */
export const MAX_LISTED_QUEUES = 1000;

/** Queues in `stats()` and `/metrics` (docs/queues.md "Metrics"). */
export interface QueueStats {
  /** Queues known (with messages, consumers, or idle and remembered). */
  readonly queues: number;
  /** Messages waiting, all queues together. */
  readonly depth: number;
  /** Messages delivered and not acknowledged, all queues together. */
  readonly inFlight: number;
  /** Bytes held (waiting and in flight) against `budget`. */
  readonly bytes: number;
  /** The server-wide `queueBytes`. */
  readonly budget: number;
  /** Every queue's counts added up, since start (`depth`, `inFlight` and `consumers` are current). */
  readonly totals: Readonly<QueueCounts>;
  /**
   * Counts per queue destination (principal-based user queues added up over their users), the
   * {@link MAX_LISTED_QUEUES} deepest.
   */
  readonly byDestination: Readonly<Record<string, Readonly<QueueCounts>>>;
  /** The queue store's size (the durable store fills it; zeros in memory). */
  readonly store: QueueStoreStats;
}

const ZERO: QueueCounts = Object.freeze({ depth: 0, inFlight: 0, consumers: 0, enqueued: 0, delivered: 0, redelivered: 0, acked: 0, deadLettered: 0, expired: 0, dropped: 0 });
const FIELDS = Object.keys(ZERO) as (keyof QueueCounts)[];

function add(into: QueueCounts, c: Readonly<QueueCounts>): void {
  for (const f of FIELDS) into[f] += c[f];
}

/** A snapshot of `queues`: totals, and counts by destination. */
export function queueStats(queues: Iterable<Pick<MessageQueue, 'destination' | 'counts'>>, bytes: number, budget: number, store: QueueStoreStats): QueueStats {
  const totals: QueueCounts = { ...ZERO };
  const byDest = new Map<string, QueueCounts>();
  let n = 0;
  for (const q of queues) {
    n++;
    add(totals, q.counts);
    let d = byDest.get(q.destination);
    if (d === undefined) byDest.set(q.destination, (d = { ...ZERO }));
    add(d, q.counts);
  }
  const listed = [...byDest].sort((a, b) => b[1].depth - a[1].depth).slice(0, MAX_LISTED_QUEUES);
  return {
    queues: n,
    depth: totals.depth,
    inFlight: totals.inFlight,
    bytes,
    budget,
    totals,
    byDestination: Object.fromEntries(listed),
    store,
  };
}

/** The stats of a server without queue rules. */
export const NO_QUEUES: QueueStats = Object.freeze({ queues: 0, depth: 0, inFlight: 0, bytes: 0, budget: 0, totals: ZERO, byDestination: Object.freeze({}), store: Object.freeze({ messages: 0, bytes: 0 }) });
