/** Offsets skipped and remembered, at most (a selector skips many; only recent ones can still come late). */
const MAX_MISSING = 16;

/**
 * What one reader of a retained destination took of one epoch, to tell a message that comes
 * late (its offset skipped, then delivered after a later one: two cluster nodes sending to one
 * user at the same instant) from one that repeats (a resume overlapping what was already
 * delivered). Offsets past the newest taken are new; below it, only the most recent skipped
 * ones are. Shared by the broker's replay gate and the client (no imports).
 */
export class OffsetWindow {
  /** One past the newest offset taken. */
  next: number;
  private missing: number[] | undefined;

  constructor(next: number) {
    this.next = next;
  }

  /** True when `offset` was not taken before (and records it); false for a repeat. */
  take(offset: number): boolean {
    if (offset >= this.next) {
      const gap = offset - this.next;
      if (gap > 0 && gap <= MAX_MISSING) {
        const missing = (this.missing ??= []);
        for (let o = this.next; o < offset; o++) missing.push(o);
        if (missing.length > MAX_MISSING) missing.splice(0, missing.length - MAX_MISSING);
      }
      this.next = offset + 1;
      return true;
    }
    const i = this.missing === undefined ? -1 : this.missing.indexOf(offset);
    if (i < 0) return false;
    this.missing!.splice(i, 1);
    return true;
  }
}
