import { MessageQueue } from './message-queue';
import type { QueuePolicy } from './queue-rules';
import type { QueueKey } from './queue-store';

/** Idle queues (nothing waiting, in flight or subscribed) kept with their counters; past it the longest idle is forgotten. */
export const MAX_IDLE_QUEUES = 10_000;

/**
 * The queues of an engine by key. A queue is created by its first message or subscriber; once
 * idle it is remembered (with its counters, for `stats()`) among at most
 * {@link MAX_IDLE_QUEUES} idle ones, the longest idle forgotten first, so that made-up queue
 * names cannot grow memory.
 */
export class QueueTable {
  readonly byKey = new Map<QueueKey, MessageQueue>();
  private readonly idle = new Set<MessageQueue>();

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
  }

  /** Marks `q` idle (the newest idle) when it holds nothing and nobody consumes it. */
  release(q: MessageQueue): void {
    if (!q.idle) return;
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
