/** Something that queues writes during a turn of the event loop and writes them when asked. */
export interface TurnFlushable {
  flush(): void;
}

/**
 * The connections that queued frames in this turn of the event loop, written out together
 * in one `setImmediate` when the turn ends: a fan-out to many sessions, or many frames to
 * one, costs one timer for all of them and one socket write per connection.
 */
export class TurnWriter<T extends TurnFlushable> {
  private dirty: T[] = [];

  /** Queues `item` for the end of this turn (call once per turn per item). */
  add(item: T): void {
    if (this.dirty.length === 0) setImmediate(flushTurn, this);
    this.dirty.push(item);
  }

  /** Flushes every item queued so far. */
  flush(): void {
    const list = this.dirty;
    this.dirty = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  }
}

function flushTurn(writer: TurnWriter<TurnFlushable>): void {
  writer.flush();
}
