import type { BrokerMessage } from '../messaging/broker-message';

/**
 * Names one queue. For a broadcast destination it is the destination itself; for a
 * principal-based user queue (`/user/queue/x` of user `u`) it is `userHistoryKey(u, destination)`
 * (broker/retention/message-store.ts), a key no client can write as a destination.
 */
export type QueueKey = string;

/** Why a message left its queue for good. */
export type RemoveReason = 'acked' | 'expired' | 'dropped' | 'dead-lettered';

/**
 * One message held by a queue, as the engine keeps it and the store persists it. The engine
 * owns these objects: a store may keep a reference but never changes one.
 */
export interface QueueEntry {
  /** Unique per engine, increasing in enqueue order; a store that reloads entries keeps them (the engine continues after the largest). */
  readonly id: number;
  readonly queue: QueueKey;
  /** The destination its subscribers see (`/queue/x`, or `/user/queue/x` for a user queue). */
  readonly destination: string;
  /** The user of a principal-based user queue; undefined for a broadcast destination. */
  readonly user: string | undefined;
  /** The message as first sent (no `redelivered` header: the engine adds it per delivery). */
  readonly message: BrokerMessage;
  /** When it expires, epoch ms (`expires` / `expiration` of the SEND); `Infinity`: never. */
  readonly expiresAt: number;
  /** Deliveries so far (a redelivery is the second one); a store restores it. */
  deliveries: number;
}

/** What a store hands back at start: the entries of every queue, in `id` order per queue. */
export interface LoadedEntry {
  readonly entry: QueueEntry;
  /**
   * True when it was in flight (delivered, not settled) when the store last saw it: the
   * engine puts it back as a redelivery (`redelivered:true`), the delivery counted.
   */
  readonly inFlight: boolean;
}

/** Counts of a queue store, for `stats()` and `/metrics` (the durable store fills them). */
export interface QueueStoreStats {
  /** Messages the store holds for queues. */
  readonly messages: number;
  /** Bytes it uses (its file, for a durable store); 0 for memory. */
  readonly bytes: number;
}

/**
 * The queue store seam (beside the retention `MessageStore`): where the queue engine
 * (broker/queues/queue-engine.ts) records what happens to every message it holds, so that a
 * durable store can bring the queues back after a restart. The engine keeps the working
 * state in memory either way; the store mirrors it.
 *
 * Every method may answer with nothing or with a promise (socket.io's Adapter convention).
 * The engine calls them in the order the events happen and a store must apply them in that
 * order. What a promise gates:
 * - `enqueue`: the SEND's RECEIPT (SPEC §6.2: a durable SEND is receipted once committed);
 * - `remove` with `'acked'`: the ACK's RECEIPT;
 * - the others gate nothing (delivered / requeued / dead-lettered states are best effort
 *   between two commits: after a crash an entry seen as in flight comes back as redelivered).
 * A rejected promise of `enqueue` or of an ACK's `remove` fails that frame (ERROR to the client);
 * other rejections are logged.
 *
 * A durable store chooses what it keeps (say, entries whose SEND had `persistent:true`, SPEC
 * §6.2) from `entry.message.headers`; for the others it answers at once, as memory does.
 *
 * The default {@link MemoryQueueStore} records nothing and answers synchronously, so the
 * in-memory engine pays nothing for the seam.
 */
export interface QueueStore {
  /** Everything to restore at start (called once, before the server accepts sessions). */
  load(): readonly LoadedEntry[] | Promise<readonly LoadedEntry[]>;
  /** A message joined its queue (a SEND, a server publish, or a dead-letter move's new entry). */
  enqueue(entry: QueueEntry): void | Promise<void>;
  /** The entry went out to a consumer with a client ack mode (`deliveries` counts it). */
  delivered(entry: QueueEntry): void | Promise<void>;
  /** The entry came back (NACK, UNSUBSCRIBE, session end) and waits again. */
  requeued(entry: QueueEntry): void | Promise<void>;
  /**
   * The entry left its queue for good: acked (or delivered under `ack:auto`), expired, dropped
   * (overflow, redelivery limit without dead-letter destination) or dead-lettered (the new
   * entry at the dead-letter queue was `enqueue`d just before, in the same turn).
   */
  remove(entry: QueueEntry, reason: RemoveReason): void | Promise<void>;
  stats(): QueueStoreStats;
  /** Flushes and releases the store. */
  close(): void | Promise<void>;
}

const EMPTY: readonly LoadedEntry[] = Object.freeze([]);
const NO_STATS: QueueStoreStats = Object.freeze({ messages: 0, bytes: 0 });

/**
 * The default queue store: nothing survives a restart (the loss model of docs/queues.md), so
 * there is nothing to record. Every method answers at once.
 */
export class MemoryQueueStore implements QueueStore {
  load(): readonly LoadedEntry[] {
    return EMPTY;
  }

  enqueue(_entry: QueueEntry): void {}

  delivered(_entry: QueueEntry): void {}

  requeued(_entry: QueueEntry): void {}

  remove(_entry: QueueEntry, _reason: RemoveReason): void {}

  stats(): QueueStoreStats {
    return NO_STATS;
  }

  close(): void {}
}
