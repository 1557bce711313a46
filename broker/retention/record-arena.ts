import { Buffer } from 'node:buffer';

/** Bytes of one segment of the arena. */
export const SEGMENT_BYTES = 256 * 1024;
/** Content types the arena numbers (a byte each in a record); later ones are written out. */
const CONTENT_TYPES = 256;
/** Emptied segments kept for the next ones, at most: a busy history cycles through segments without allocating or faulting in fresh memory. */
export const SPARE_SEGMENTS = 2;
/** Bytes before each record's payload: its length (u32), its history's id (f64: ids are never reused), its offset (f64). */
export const RECORD_HEAD = 20;

/** Where a record is: segment id × {@link SEGMENT_BYTES} + its start in the segment (exact in a double). */
export type Location = number;

/** What the arena asks of the histories when it moves a record out of a segment it empties. */
export interface RecordOwner {
  /** True when the record of history `id` at `offset` is still held, at `location`. */
  holds(id: number, offset: number, location: Location): boolean;
  /** The record now lives at `location`. */
  moved(id: number, offset: number, location: Location): void;
}

interface Segment {
  readonly id: number;
  readonly data: Buffer;
  /** Bytes written. */
  used: number;
  /** Bytes of the records still held. */
  live: number;
}

/**
 * Every history's records, back to back in segments of {@link SEGMENT_BYTES} outside the
 * JavaScript heap: a record is written once where the newest segment ends, so appending never
 * copies what is held and no history owns memory it does not fill. A segment is given back
 * when its last record is dropped: trimming by count and age drops oldest first, so segments
 * empty in order. When the segments come to hold more than 2.25 times what is live, plus two
 * segments (a destination with a long rule among busy ones keeps a few records in each), the
 * oldest segment less than half full has what it still holds moved to the newest, so each byte
 * moved was paid for by a byte dropped. Segments are all one size, so the allocator reuses
 * what is given back instead of fragmenting.
 */
export class RecordArena {
  private readonly segments = new Map<number, Segment>();
  private head: Segment | undefined;
  private nextId = 0;
  /** Ids of segments given back, taken again first: locations stay small (exact in a double) however long the server runs. */
  private readonly freeIds: number[] = [];
  /** Memory of emptied segments, reused before any is allocated (at most {@link SPARE_SEGMENTS}). */
  private readonly spares: Buffer[] = [];
  /** Bytes of the records held, in every segment. */
  private live = 0;
  /** Content types records name by number (the first {@link CONTENT_TYPES} seen), and their numbers. */
  private readonly contentTypes: string[] = [];
  private readonly contentTypeRefs = new Map<string, number>();

  constructor(private readonly owner: RecordOwner) {}

  /** Bytes of the segments held, spares included (for tests and stats). */
  get allocated(): number {
    return (this.segments.size + this.spares.length) * SEGMENT_BYTES;
  }

  /** A place for a record of `length` bytes (head included, at most {@link SEGMENT_BYTES}): its location. */
  reserve(length: number): Location {
    let head = this.head;
    if (head === undefined || head.used + length > SEGMENT_BYTES) {
      if (head !== undefined && head.live === 0) this.free(head);
      head = this.head = { id: this.freeIds.pop() ?? this.nextId++, data: this.spares.pop() ?? Buffer.allocUnsafeSlow(SEGMENT_BYTES), used: 0, live: 0 };
      this.segments.set(head.id, head);
    }
    const at = head.used;
    head.used += length;
    head.live += length;
    this.live += length;
    return head.id * SEGMENT_BYTES + at;
  }

  /** The number records may write for `contentType`, or -1 when it has none (past {@link CONTENT_TYPES}, or too long to be common). */
  contentTypeRef(contentType: string): number {
    const ref = this.contentTypeRefs.get(contentType);
    if (ref !== undefined) return ref;
    if (this.contentTypes.length >= CONTENT_TYPES || contentType.length > 128) return -1;
    this.contentTypes.push(contentType);
    this.contentTypeRefs.set(contentType, this.contentTypes.length - 1);
    return this.contentTypes.length - 1;
  }

  /** The content type numbered `ref`. */
  contentType(ref: number): string {
    return this.contentTypes[ref];
  }

  /** The segment's bytes holding `location`. */
  data(location: Location): Buffer {
    return this.segments.get(Math.floor(location / SEGMENT_BYTES))!.data;
  }

  /** Where `location` starts in {@link data}. */
  start(location: Location): number {
    return location % SEGMENT_BYTES;
  }

  /** The record at `location` is no longer held. */
  release(location: Location): void {
    const segment = this.segments.get(Math.floor(location / SEGMENT_BYTES))!;
    const length = segment.data.readUInt32LE(location % SEGMENT_BYTES);
    segment.live -= length;
    this.live -= length;
    if (segment !== this.head && segment.live === 0) this.free(segment);
    // Past 2.25 × live + 2 segments, one segment less than half full exists: every other one was
    // filled to within a record (16 KiB) of its end, and holding half of that would hold more.
    if (4 * this.segments.size * SEGMENT_BYTES > 9 * this.live + 8 * SEGMENT_BYTES) this.compact();
  }

  /** Moves what the oldest segment less than half full holds. */
  private compact(): void {
    for (const segment of this.segments.values()) {
      if (segment === this.head || segment.live * 2 >= segment.used) continue;
      this.evacuate(segment);
      return;
    }
  }

  /** Gives a segment back (no location names it any more), keeping its memory as a spare while there are fewer than {@link SPARE_SEGMENTS}. */
  private free(segment: Segment): void {
    this.segments.delete(segment.id);
    this.freeIds.push(segment.id);
    if (this.spares.length < SPARE_SEGMENTS) this.spares.push(segment.data);
  }

  /** Moves what `segment` still holds to the newest segment and gives it back. */
  private evacuate(segment: Segment): void {
    // Out of the table first, its id reusable only once what it holds has moved.
    this.segments.delete(segment.id);
    this.live -= segment.live;
    const data = segment.data;
    for (let p = 0; p < segment.used; ) {
      const length = data.readUInt32LE(p);
      const id = data.readDoubleLE(p + 4);
      const offset = data.readDoubleLE(p + 12);
      if (this.owner.holds(id, offset, segment.id * SEGMENT_BYTES + p)) {
        const to = this.reserve(length);
        data.copy(this.data(to), this.start(to), p, p + length);
        this.owner.moved(id, offset, to);
      }
      p += length;
    }
    this.freeIds.push(segment.id);
    if (this.spares.length < SPARE_SEGMENTS) this.spares.push(data);
  }
}
