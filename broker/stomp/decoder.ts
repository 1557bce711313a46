// The one Node import of stomp/, for speed (CONTRIBUTING.md, Import boundaries; bench/stomp-buffer.ts).
import { Buffer } from 'node:buffer';
import { StompError } from '../errors';
import { CLIENT_COMMANDS, CR, EMPTY_BODY, LF, NUL, type Command, type Frame, type Headers } from './frame';
import { unescapeHeader } from './headers';
import { COMMAND_TOKENS, HEADER_TOKENS, knownToken } from './tokens';
import type { StompVersion } from './versions';

/**
 * An incremental STOMP frame decoder: a state machine fed with transport messages of any
 * size and cut anywhere.
 *
 * Grammar (STOMP 1.2 §"Augmented BNF"):
 *
 *     frame   = command EOL *( header EOL ) EOL *OCTET NULL *( EOL )
 *     EOL     = [CR] LF
 *     header  = header-name ":" header-value
 *
 * States:
 * - `idle`: between frames. EOLs here are heart-beats and are skipped.
 * - `head`: inside the command line and headers. The decoder scans for LF with `indexOf`,
 *   counting lines and checking each line's length, until an empty line ends the head; then it
 *   decodes the whole head to text once and splits it into lines.
 * - `body`: with a `content-length` header, exactly that many bytes (which may contain NUL)
 *   followed by a NUL; without one, everything up to the first NUL.
 *
 * Bytes of an unfinished frame are kept in a growable buffer, and scanning resumes where it
 * stopped, so a frame cut into single bytes still decodes in linear time. A message that
 * holds whole frames is decoded in place, with no copy: bodies are views of it.
 *
 * Limits (`maxFrameSize`, `maxHeaders`, `maxHeaderLength`) are checked as bytes arrive, so
 * an endless header line or body is refused before it is buffered. Every fault throws a
 * {@link StompError}; after one, the decoder refuses all further input.
 *
 * Header values are unescaped by `version`, except in CONNECT, STOMP and CONNECTED frames,
 * which are never escaped. Repeated headers: the first wins.
 */
export interface DecoderLimits {
  /** Largest frame, head and body, in bytes. */
  readonly maxFrameSize: number;
  /** Most header lines in one frame. */
  readonly maxHeaders: number;
  /** Longest header line (or command line), in bytes. */
  readonly maxHeaderLength: number;
}

type State = 'idle' | 'head' | 'body';

const UNESCAPED_COMMANDS: ReadonlySet<string> = new Set(['CONNECT', 'STOMP', 'CONNECTED']);
const utf8 = new TextDecoder('utf-8');
const NO_HEADERS: Headers = new Map();

export class FrameDecoder {
  /** Version used to unescape headers; the session sets it after CONNECT. */
  version: StompVersion = '1.2';

  private buf: Uint8Array = EMPTY_BODY;
  private len = 0;
  private state: State = 'idle';
  private failed = false;
  // Offsets into the data being parsed; rebased when unconsumed bytes are kept.
  private start = 0;
  private scan = 0;
  private lineStart = 0;
  private lines = 0;
  private bodyStart = 0;
  private contentLength = -1;
  private command: Command = 'SEND';
  private headers: Headers = NO_HEADERS; // the frame being decoded: a new Map per frame, made in parseHead

  constructor(
    private readonly limits: DecoderLimits,
    private readonly onFrame: (frame: Frame) => void,
    private readonly commands: ReadonlySet<string> = CLIENT_COMMANDS,
  ) {}

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.len;
  }

  /**
   * Decodes a chunk, calling `onFrame` for each complete frame in it.
   * @throws StompError with the code of the fault; the decoder is then unusable.
   */
  push(chunk: Uint8Array): void {
    if (this.failed) return;
    const inPlace = this.len === 0;
    let data: Uint8Array;
    if (inPlace) {
      data = chunk;
    } else {
      this.append(chunk);
      data = this.buf.subarray(0, this.len);
    }
    let consumed: number;
    try {
      consumed = this.parse(data, inPlace);
    } catch (err) {
      this.failed = true;
      this.buf = EMPTY_BODY;
      this.len = 0;
      throw err;
    }
    this.keep(data, consumed, inPlace);
  }

  private parse(data: Uint8Array, inPlace: boolean): number {
    const end = data.length;
    let pos = this.start;
    for (;;) {
      if (this.state === 'idle') {
        while (pos < end && (data[pos] === LF || data[pos] === CR)) pos++; // heart-beats
        if (pos === end) return end;
        this.beginFrame(pos);
      }
      if (this.state === 'head' && !this.scanHead(data)) return this.start;
      if (this.state === 'body') {
        const next = this.scanBody(data, inPlace);
        if (next === -1) return this.start;
        pos = next;
        this.state = 'idle';
        this.start = pos;
      }
    }
  }

  private beginFrame(pos: number): void {
    this.state = 'head';
    this.start = this.scan = this.lineStart = pos;
    this.lines = 0;
    this.contentLength = -1;
  }

  /** Scans head lines; true once the empty line that ends the head was found. */
  private scanHead(data: Uint8Array): boolean {
    const { maxHeaderLength, maxHeaders, maxFrameSize } = this.limits;
    for (;;) {
      const nl = data.indexOf(LF, this.scan);
      const lineEnd = nl === -1 ? data.length : nl;
      // The CR of a CRLF is not part of the line (on an unfinished line, a last CR may be one).
      // Judging only bytes received keeps the error code independent of the chunking.
      const cr = lineEnd > this.lineStart && data[lineEnd - 1] === CR ? 1 : 0;
      if (lineEnd - this.lineStart - cr > maxHeaderLength) {
        throw new StompError('STOMP_ERR_HEADER_TOO_LONG', `A header line is longer than maxHeaderLength (${maxHeaderLength} bytes)`);
      }
      if (lineEnd - this.start > maxFrameSize) {
        throw new StompError('STOMP_ERR_FRAME_TOO_LARGE', `Frame head is larger than maxFrameSize (${maxFrameSize} bytes)`);
      }
      if (nl === -1) {
        this.scan = data.length;
        return false;
      }
      const empty = nl === this.lineStart || (nl === this.lineStart + 1 && data[this.lineStart] === CR);
      if (empty) {
        this.parseHead(data, this.start, this.lineStart);
        this.bodyStart = this.scan = nl + 1;
        this.state = 'body';
        return true;
      }
      if (++this.lines > maxHeaders + 1) {
        throw new StompError('STOMP_ERR_TOO_MANY_HEADERS', `Frame has more than maxHeaders (${maxHeaders}) headers`);
      }
      this.lineStart = this.scan = nl + 1;
    }
  }

  /** Scans the body; the offset after its NUL, or -1 while incomplete. */
  private scanBody(data: Uint8Array, inPlace: boolean): number {
    let nul: number;
    if (this.contentLength >= 0) {
      nul = this.bodyStart + this.contentLength;
      if (nul >= data.length) return -1;
      if (data[nul] !== NUL) {
        throw new StompError(
          'STOMP_ERR_INVALID_CONTENT_LENGTH',
          `Frame body is not followed by NUL after content-length (${this.contentLength}) bytes`,
        );
      }
    } else {
      nul = data.indexOf(NUL, this.scan);
      if (nul === -1) {
        if (data.length - this.start > this.limits.maxFrameSize) {
          throw new StompError('STOMP_ERR_FRAME_TOO_LARGE', `Frame is larger than maxFrameSize (${this.limits.maxFrameSize} bytes)`);
        }
        this.scan = data.length;
        return -1;
      }
    }
    if (nul + 1 - this.start > this.limits.maxFrameSize) {
      throw new StompError('STOMP_ERR_FRAME_TOO_LARGE', `Frame is larger than maxFrameSize (${this.limits.maxFrameSize} bytes)`);
    }
    const body =
      nul === this.bodyStart
        ? EMPTY_BODY
        : inPlace
          ? data.subarray(this.bodyStart, nul)
          : // A copy: the held buffer is reused. (Not `slice`: on a Buffer it is a view.)
            Buffer.copyBytesFrom(data, this.bodyStart, nul - this.bodyStart);
    const frame: Frame = { command: this.command, headers: this.headers, body };
    this.headers = NO_HEADERS;
    this.onFrame(frame);
    return nul + 1;
  }

  /** Decodes the head `[from, to)` (command line and header lines) into command and headers. */
  private parseHead(data: Uint8Array, from: number, to: number): void {
    // One decode of the whole head, then a walk with indexOf: no array of lines. A Buffer (what
    // the transports hand over) decodes in place; any other view through a subarray.
    const head = data instanceof Buffer ? data.toString('utf8', from, to) : utf8.decode(data.subarray(from, to));
    let nl = head.indexOf('\n');
    const commandEnd = lineEnd(head, 0, nl);
    const command = knownToken(head, 0, commandEnd, COMMAND_TOKENS) ?? head.slice(0, commandEnd);
    if (!this.commands.has(command)) {
      throw new StompError('STOMP_ERR_UNKNOWN_COMMAND', `Unknown command "${command.slice(0, 32)}"`);
    }
    this.command = command as Command;
    // unescapeHeader changes only text with a backslash: one look at the whole head spares a call per name and value.
    const escaped = !UNESCAPED_COMMANDS.has(command) && this.version !== '1.0' && head.indexOf('\\', nl) !== -1;
    const headers: Headers = new Map();
    this.headers = headers;
    // Every line of the head, the last included, ends with LF.
    for (let pos = nl + 1; pos < head.length; pos = nl + 1) {
      nl = head.indexOf('\n', pos);
      const end = lineEnd(head, pos, nl);
      const colon = head.indexOf(':', pos);
      if (colon <= pos || colon >= end) {
        throw new StompError('STOMP_ERR_MALFORMED_FRAME', `Header line "${head.slice(pos, Math.min(end, pos + 64))}" has no name or no ":"`);
      }
      // A common name as its constant, whose hash V8 keeps: the map lookups below then hash nothing.
      const raw = knownToken(head, pos, colon, HEADER_TOKENS) ?? head.slice(pos, colon);
      const name = escaped ? unescapeHeader(raw, this.version) : raw;
      // STOMP 1.2: repeated header entries, first wins
      if (headers.has(name)) continue;
      const value = head.slice(colon + 1, end);
      headers.set(name, escaped ? unescapeHeader(value, this.version) : value);
    }
    const length = headers.get('content-length');
    if (length !== undefined) {
      this.contentLength = byteCount(length);
      if (this.contentLength < 0) {
        throw new StompError('STOMP_ERR_INVALID_CONTENT_LENGTH', `Header content-length "${length.slice(0, 32)}" is not a byte count`);
      }
      const size = to - from + 2 + this.contentLength;
      if (size > this.limits.maxFrameSize) {
        throw new StompError(
          'STOMP_ERR_FRAME_TOO_LARGE',
          `Frame of ${size} bytes is larger than maxFrameSize (${this.limits.maxFrameSize} bytes)`,
        );
      }
    }
  }

  private append(chunk: Uint8Array): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2, 256));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len = need;
  }

  /** Keeps the unconsumed tail `[consumed, end)` for the next push, rebasing offsets. */
  private keep(data: Uint8Array, consumed: number, inPlace: boolean): void {
    const rest = data.length - consumed;
    if (rest === 0) {
      this.len = 0;
      this.start = 0;
      if (this.buf.length > 1 << 20) this.buf = EMPTY_BODY; // do not hold a large buffer while idle
      return;
    }
    if (inPlace) {
      this.len = 0;
      this.append(data.subarray(consumed));
    } else if (consumed > 0) {
      this.buf.copyWithin(0, consumed, this.len);
      this.len = rest;
    }
    this.start -= consumed;
    this.scan -= consumed;
    this.lineStart -= consumed;
    this.bodyStart -= consumed;
  }
}

/** A content-length value as a number: 1 to 15 decimal digits, else -1. */
function byteCount(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30; // '0'
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** End of the line `[start, nl)` without its CR (STOMP 1.2: EOL is LF or CR LF). */
function lineEnd(head: string, start: number, nl: number): number {
  return nl > start && head.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
}

