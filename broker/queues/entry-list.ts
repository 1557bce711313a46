import type { BrokerMessage } from '../messaging/broker-message';
import type { QueueEntry, QueueKey } from './queue-store';

/** What one held message costs besides its body and header characters (objects, list links, maps). */
export const ENTRY_OVERHEAD = 256;

/**
 * A queue entry as the engine holds it: the store's {@link QueueEntry} plus the links of the
 * waiting list it is on (if any) and its size, counted against `queueBytes`.
 */
export class HeldEntry implements QueueEntry {
  deliveries = 0;
  /** Links while waiting; both undefined (and `list` unset) while in flight. */
  prev: HeldEntry | undefined;
  next: HeldEntry | undefined;
  list: EntryList | undefined;
  /** Bytes counted against `queueBytes` while held (waiting or in flight). */
  readonly size: number;

  constructor(
    readonly id: number,
    readonly queue: QueueKey,
    readonly destination: string,
    readonly user: string | undefined,
    readonly message: BrokerMessage,
    readonly expiresAt: number,
  ) {
    let size = ENTRY_OVERHEAD + message.body.byteLength + destination.length;
    for (const [k, v] of message.headers) size += k.length + v.length + 16;
    this.size = size;
  }
}

/**
 * The waiting messages of one queue, oldest first: a doubly linked list, so that taking the
 * head, appending, putting a returned message back in order and taking one from the middle
 * (a selector's match) are each O(1) or a short walk, with no array shifting.
 */
export class EntryList {
  head: HeldEntry | undefined;
  tail: HeldEntry | undefined;
  length = 0;

  push(e: HeldEntry): void {
    e.list = this;
    e.next = undefined;
    e.prev = this.tail;
    if (this.tail === undefined) this.head = e;
    else this.tail.next = e;
    this.tail = e;
    this.length++;
  }

  /** Puts `e` back in `id` order (a returned message is usually older than all that wait: one step). */
  insertInOrder(e: HeldEntry): void {
    let at = this.head;
    while (at !== undefined && at.id < e.id) at = at.next;
    if (at === undefined) return this.push(e);
    e.list = this;
    e.next = at;
    e.prev = at.prev;
    if (at.prev === undefined) this.head = e;
    else at.prev.next = e;
    at.prev = e;
    this.length++;
  }

  remove(e: HeldEntry): void {
    if (e.list !== this) return;
    if (e.prev === undefined) this.head = e.next;
    else e.prev.next = e.next;
    if (e.next === undefined) this.tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = e.next = e.list = undefined;
    this.length--;
  }

  shift(): HeldEntry | undefined {
    const e = this.head;
    if (e !== undefined) this.remove(e);
    return e;
  }
}
