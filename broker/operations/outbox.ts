/**
 * The drop-oldest policy's own queue in front of a full socket: frames oldest first, a byte
 * count, and a moving head so dropping or sending the oldest is O(1) amortized (no
 * `Array.shift()` per frame; the consumed part is spliced off once it is half the array).
 */
export class Outbox {
  readonly frames: Uint8Array[] = [];
  readonly binary: boolean[] = [];
  bytes = 0;
  head = 0;

  get length(): number {
    return this.frames.length - this.head;
  }

  push(data: Uint8Array, binary: boolean): void {
    this.frames.push(data);
    this.binary.push(binary);
    this.bytes += data.byteLength;
  }

  /** Removes the oldest frame; compacts once half the array is consumed. */
  shift(): [Uint8Array, boolean] {
    const data = this.frames[this.head];
    const binary = this.binary[this.head];
    this.head++;
    this.bytes -= data.byteLength;
    if (this.head > 64 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.binary.splice(0, this.head);
      this.head = 0;
    }
    return [data, binary];
  }
}
