import { Buffer } from 'node:buffer';
import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';
import type { Offset } from './message-store';
import { RECORD_HEAD, type Location, type RecordArena } from './record-arena';

/** Smallest index a history gets, records. */
const MIN_SLOTS = 8;
/** Records longer than this get a buffer of their own, exactly their size, rather than a place in a segment. */
const OWN_RECORD = 16 * 1024;
/** The location of a record held in a buffer of its own. */
const OWN = -1;
/** Record flags: the body is UTF-8 text; a content type follows the id; headers follow. */
const TEXT = 1;
const CONTENT_TYPE = 2;
/** The content type is one the arena names (u8): most messages carry one of a few. */
const CONTENT_TYPE_REF = 8;
const HEADERS = 4;

/**
 * One destination's retained messages: an index of typed arrays (time, location, budget size:
 * 20 bytes per record) over records encoded once into the shared {@link RecordArena}, outside
 * the JavaScript heap, so a retained message costs its bytes and its index entry, with no
 * object per message for the garbage collector to trace. The index is a ring that doubles
 * when full and halves at a quarter, and is let go when the last record leaves.
 *
 * Record layout: the arena's head (length, history id, offset: 20 bytes), flags (u8), id length (u32 LE)
 * and id, [the arena's number for the content type (u8), or its length and the content type], [header count, then each name and value
 * with u32 lengths], then the body.
 */
export class HistoryLog {
  /** Offset of the oldest record held; equal to `next` when none is. */
  first: Offset = 0;
  /** Offset the next record takes. */
  next: Offset = 0;
  private times = new Float64Array(0);
  private locations = new Float64Array(0);
  private sizes = new Uint32Array(0);
  /** Records held in buffers of their own, by offset; undefined until the first. */
  private own: Map<Offset, Buffer> | undefined;
  private headSlot = 0;
  private mask = -1;

  constructor(
    private readonly arena: RecordArena,
    /** This history's id in the arena's record heads. */
    readonly id: number,
  ) {}

  get size(): number {
    return this.next - this.first;
  }

  /** Append time of the record at `offset` (relative ms). */
  timeAt(offset: Offset): number {
    return this.times[this.slot(offset)];
  }

  /** Where the record at `offset` is (for the arena's moves). */
  locationAt(offset: Offset): Location {
    return this.locations[this.slot(offset)];
  }

  /** The arena moved the record at `offset`. */
  moved(offset: Offset, location: Location): void {
    this.locations[this.slot(offset)] = location;
  }

  /** True when `offset` is held. */
  holds(offset: Offset): boolean {
    return offset >= this.first && offset < this.next;
  }

  /** Appends `message` at time `t` with budget `size`: its offset. */
  push(message: BrokerMessage, t: number, size: number): Offset {
    const id = message.messageId;
    const ct = message.contentType;
    const headers = message.headers;
    const body = message.body;
    let length = RECORD_HEAD + 5 + utf8Length(id) + body.byteLength;
    const ctRef = ct === undefined ? -1 : this.arena.contentTypeRef(ct);
    if (ctRef >= 0) length += 1;
    else if (ct !== undefined) length += 4 + Buffer.byteLength(ct, 'utf8');
    if (headers.length > 0) {
      length += 4;
      for (const [name, value] of headers) length += 8 + utf8Length(name) + utf8Length(value);
    }
    if (this.size === this.times.length) this.resizeIndex(Math.max(MIN_SLOTS, this.times.length * 2));
    const offset = this.next;
    let data: Buffer;
    let p: number;
    let location: Location;
    if (length > OWN_RECORD) {
      data = Buffer.allocUnsafeSlow(length);
      p = 0;
      location = OWN;
      (this.own ??= new Map()).set(offset, data);
    } else {
      location = this.arena.reserve(length);
      data = this.arena.data(location);
      p = this.arena.start(location);
    }
    p = data.writeUInt32LE(length, p);
    p = data.writeDoubleLE(this.id, p);
    p = data.writeDoubleLE(offset, p);
    data[p++] = (message.binary ? 0 : TEXT) | (ct === undefined ? 0 : ctRef >= 0 ? CONTENT_TYPE_REF : CONTENT_TYPE) | (headers.length > 0 ? HEADERS : 0);
    p = writeString(data, p, id);
    if (ctRef >= 0) data[p++] = ctRef;
    else if (ct !== undefined) p = writeString(data, p, ct);
    if (headers.length > 0) {
      p = data.writeUInt32LE(headers.length, p);
      for (const [name, value] of headers) p = writeString(data, writeString(data, p, name), value);
    }
    data.set(body, p);
    const slot = this.slot(offset);
    this.times[slot] = t;
    this.locations[slot] = location;
    this.sizes[slot] = size;
    return this.next++;
  }

  /** Drops the oldest record: its budget size. */
  shift(): number {
    const offset = this.first;
    const slot = this.slot(offset);
    const size = this.sizes[slot];
    const location = this.locations[slot];
    // Past `first` before the arena hears of it: a move it makes meanwhile skips this record.
    this.first++;
    this.headSlot = (slot + 1) & this.mask;
    if (location === OWN) this.own!.delete(offset);
    else this.arena.release(location);
    if (this.size === 0) {
      this.resizeIndex(0);
      this.own = undefined;
    } else if (this.size * 4 < this.times.length && this.times.length > MIN_SLOTS) this.resizeIndex(this.times.length / 2);
    return size;
  }

  /** Decodes the record at `offset` into a MESSAGE for `destination`, with `extra` headers after its own. */
  message(offset: Offset, destination: string, extra: readonly HeaderPair[]): BrokerMessage {
    const location = this.locations[this.slot(offset)];
    const data = location === OWN ? this.own!.get(offset)! : this.arena.data(location);
    let p = location === OWN ? 0 : this.arena.start(location);
    const end = p + data.readUInt32LE(p);
    p += RECORD_HEAD;
    const flags = data[p++];
    let n = data.readUInt32LE(p);
    const id = data.toString('utf8', p + 4, (p += 4 + n));
    let contentType: string | undefined;
    if ((flags & CONTENT_TYPE_REF) !== 0) contentType = this.arena.contentType(data[p++]);
    else if ((flags & CONTENT_TYPE) !== 0) {
      n = data.readUInt32LE(p);
      contentType = data.toString('utf8', p + 4, (p += 4 + n));
    }
    const headers: HeaderPair[] = [];
    if ((flags & HEADERS) !== 0) {
      const count = data.readUInt32LE(p);
      p += 4;
      for (let i = 0; i < count; i++) {
        n = data.readUInt32LE(p);
        const name = data.toString('utf8', p + 4, (p += 4 + n));
        n = data.readUInt32LE(p);
        headers.push([name, data.toString('utf8', p + 4, (p += 4 + n))]);
      }
    }
    headers.push(...extra);
    // A copy: the segment's bytes are reused once the record leaves.
    const body = Buffer.allocUnsafe(end - p);
    data.copy(body, 0, p, end);
    return new BrokerMessage(destination, body, contentType, headers, id, (flags & TEXT) !== 0);
  }

  private slot(offset: Offset): number {
    return (this.headSlot + (offset - this.first)) & this.mask;
  }

  private resizeIndex(slots: number): void {
    const times = new Float64Array(slots);
    const locations = new Float64Array(slots);
    const sizes = new Uint32Array(slots);
    for (let i = 0, o = this.first; o < this.next; i++, o++) {
      const from = this.slot(o);
      times[i] = this.times[from];
      locations[i] = this.locations[from];
      sizes[i] = this.sizes[from];
    }
    this.times = times;
    this.locations = locations;
    this.sizes = sizes;
    this.headSlot = 0;
    this.mask = slots - 1;
  }
}

/** Strings up to this long are measured and copied a character at a time when they are ASCII (message ids, header names). */
const SHORT = 32;

/** True when `s` is short and ASCII, so its UTF-8 is one byte per character. */
function shortAscii(s: string): boolean {
  if (s.length > SHORT) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Bytes of `s` in UTF-8. A call into the encoder costs more than counting a short ASCII string. */
function utf8Length(s: string): number {
  return shortAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}

/**
 * Writes a u32 length and the UTF-8 string: the position after. A short string is copied a
 * character at a time in one pass; at its first non-ASCII character the encoder writes it
 * all again (the record was sized by {@link utf8Length}, so the space is there).
 */
function writeString(data: Buffer, p: number, s: string): number {
  let n = s.length;
  let i = 0;
  if (n <= SHORT) {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      data[p + 4 + i] = c;
    }
  }
  if (i < n) n = data.write(s, p + 4, 'utf8');
  data.writeUInt32LE(n, p);
  return p + 4 + n;
}
