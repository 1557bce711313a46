/** The empty frame a dropped entry is replaced with (never sent). */
const DROPPED = new Uint8Array(0);

/**
 * The drop-oldest policy's own queue in front of a full socket: frames oldest first, a byte
 * count, and a moving head so sending the oldest is O(1) amortized (no `Array.shift()` per
 * frame; the consumed part is spliced off once it is half the array).
 *
 * Frames that must not be dropped (RECEIPT, ERROR, CONNECTED) queue here too, behind the
 * MESSAGEs written before them, so they never overtake one. Dropping takes the oldest
 * droppable frame (a MESSAGE, never the newest one) and leaves a tombstone in its place; a
 * cursor remembers where the oldest droppable frame may be, so a run of frames that must stay
 * is walked over once, not on every drop.
 */
export class Outbox {
  readonly frames: Uint8Array[] = [];
  readonly binary: boolean[] = [];
  readonly droppable: boolean[] = [];
  /** Bytes of every frame queued. */
  bytes = 0;
  /** Bytes of the frames that must not be dropped. */
  fixedBytes = 0;
  head = 0;
  private live = 0;
  private dropCursor = 0;

  /** Frames queued (tombstones of dropped ones not counted). */
  get length(): number {
    return this.live;
  }

  push(data: Uint8Array, binary: boolean, droppable = true): void {
    this.frames.push(data);
    this.binary.push(binary);
    this.droppable.push(droppable);
    this.bytes += data.byteLength;
    if (!droppable) this.fixedBytes += data.byteLength;
    this.live++;
  }

  /** Removes and returns the oldest frame; compacts once half the array is consumed. */
  shift(): [Uint8Array, boolean] {
    while (this.frames[this.head] === DROPPED) this.head++;
    const i = this.head++;
    const data = this.frames[i];
    this.bytes -= data.byteLength;
    if (!this.droppable[i]) this.fixedBytes -= data.byteLength;
    this.live--;
    const binary = this.binary[i];
    if (this.head > 64 && this.head * 2 > this.frames.length) this.compact();
    return [data, binary];
  }

  /** Drops the oldest droppable frame other than the newest; false when there is none. */
  dropOldest(): boolean {
    const newest = this.frames.length - 1;
    let i = Math.max(this.dropCursor, this.head);
    while (i < newest && (!this.droppable[i] || this.frames[i] === DROPPED)) i++;
    this.dropCursor = i;
    if (i >= newest) return false;
    this.bytes -= this.frames[i].byteLength;
    this.frames[i] = DROPPED;
    this.live--;
    this.dropCursor = i + 1;
    return true;
  }

  private compact(): void {
    this.frames.splice(0, this.head);
    this.binary.splice(0, this.head);
    this.droppable.splice(0, this.head);
    this.dropCursor = Math.max(0, this.dropCursor - this.head);
    this.head = 0;
  }
}
