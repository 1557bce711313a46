import { MessageQueue } from './message-queue';
import type { QueuePolicy } from './queue-rules';
import type { QueueKey } from './queue-store';

/** Idle queues (nothing waiting, in flight or subscribed) kept with their counters; past it the longest idle is forgotten. */
export const MAX_IDLE_QUEUES = 10_000;

/**
 * What a queue that holds something costs against `queueBytes` besides its messages: its
 * object, counters, list and map entry (measured at about 700 bytes on Node 20 with 100,000
 * made-up queues of one message each), plus its key and destination characters.
 */
export const QUEUE_OVERHEAD = 768;

/** Bytes `q` counts against `queueBytes` while it is not idle. */
export function queueCost(q: MessageQueue): number {
  return QUEUE_OVERHEAD + q.key.length + q.destination.length;
}

/**
 * The queues of an engine by key. A queue is created by its first message or subscriber; once
 * idle it is remembered (with its counters, for `stats()`) among at most
 * {@link MAX_IDLE_QUEUES} idle ones, the longest idle forgotten first, so that made-up queue
 * names cannot grow memory.
 */
export class QueueTable {
  readonly byKey = new Map<QueueKey, MessageQueue>();
  private readonly idle = new Set<MessageQueue>();
  /** What the queues that are not idle cost themselves ({@link queueCost}), counted against `queueBytes`. */
  bytes = 0;

  get(key: QueueKey): MessageQueue | undefined {
    return this.byKey.get(key);
  }

  /** The queue of `key`, created (idle) when it does not exist. */
  open(key: QueueKey, destination: string, user: string | undefined, policy: QueuePolicy): MessageQueue {
    let q = this.byKey.get(key);
    if (q === undefined) {
      this.byKey.set(key, (q = new MessageQueue(key, destination, user, policy)));
      this.idle.add(q);
      this.forget();
    }
    return q;
  }

  /** `q` holds something or has a consumer: not forgotten while it does. */
  busy(q: MessageQueue): void {
    this.idle.delete(q);
    if (!q.charged) {
      q.charged = true;
      this.bytes += queueCost(q);
    }
  }

  /** Marks `q` idle (the newest idle) when it holds nothing and nobody consumes it. */
  release(q: MessageQueue): void {
    if (!q.idle) return;
    if (q.charged) {
      q.charged = false;
      this.bytes -= queueCost(q);
    }
    this.idle.delete(q);
    this.idle.add(q);
    this.forget();
  }

  values(): IterableIterator<MessageQueue> {
    return this.byKey.values();
  }

  private forget(): void {
    while (this.idle.size > MAX_IDLE_QUEUES) {
      const oldest = this.idle.values().next().value as MessageQueue;
      this.idle.delete(oldest);
      if (oldest.idle) this.byKey.delete(oldest.key);
    }
  }
}
