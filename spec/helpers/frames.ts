/**
 * Test helpers for the wire protocol: build byte streams from literal strings, cut them at
 * every boundary, and decode a list of chunks into plain, comparable values.
 */
import { StompError } from '../../broker/errors';
import { CLIENT_COMMANDS, SERVER_COMMANDS, type Frame } from '../../broker/stomp/frame';
import { FrameDecoder, type DecoderLimits } from '../../broker/stomp/decoder';
import type { StompVersion } from '../../broker/stomp/versions';

const utf8 = new TextEncoder();

/** Concatenates strings (as UTF-8), byte arrays and byte lists into one fresh Uint8Array. */
export function bytes(...parts: ReadonlyArray<string | Uint8Array | readonly number[]>): Uint8Array {
  const encoded = parts.map((p) => (typeof p === 'string' ? utf8.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(encoded.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of encoded) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts `buf` at the given offsets (any order, duplicates allowed); each chunk is a copy. */
export function cutAt(buf: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => Math.max(0, Math.min(buf.length, o))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, buf.length]) {
    chunks.push(buf.slice(from, cut));
    from = cut;
  }
  return chunks;
}

/**
 * Every way of cutting `buf` in two (empty chunks at either end included), every three-way cut
 * that isolates one byte, and the stream fed one byte at a time.
 */
export function* splitEverywhere(buf: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= buf.length; i++) yield cutAt(buf, [i]);
  for (let i = 0; i < buf.length; i++) yield cutAt(buf, [i, i + 1]);
  yield Array.from(buf, (b) => Uint8Array.of(b));
}

/** Generous limits for tests that are not about limits. */
export const LOOSE_LIMITS: DecoderLimits = Object.freeze({ maxFrameSize: 1 << 20, maxHeaders: 1000, maxHeaderLength: 1 << 16 });

/** A decoded frame as plain data: header pairs in wire order, body as a Buffer copy. */
export interface PlainFrame {
  readonly command: string;
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
}

/** The outcome of feeding chunks to a fresh decoder. */
export interface Decoded {
  readonly frames: PlainFrame[];
  /** The error the decoder threw, if any; anything but a StompError is rethrown. */
  readonly error: StompError | undefined;
  /** Frames delivered by pushes after the error (must stay empty). */
  readonly afterError: number;
}

/** Builds the expected decoded frame. */
export function frame(command: string, headers: Array<[string, string]>, body: string | Uint8Array = ''): PlainFrame {
  return { command, headers, body: Buffer.from(typeof body === 'string' ? utf8.encode(body) : body) };
}

export function plain(f: Frame): PlainFrame {
  return { command: f.command, headers: [...f.headers], body: Buffer.from(f.body) };
}

/**
 * Feeds `chunks` to one decoder, collecting frames or the thrown StompError. After an error,
 * the remaining chunks are still pushed, to check that the decoder ignores them.
 */
export function decodeAll(
  chunks: Iterable<Uint8Array>,
  limits: DecoderLimits = LOOSE_LIMITS,
  version: StompVersion = '1.2',
  commands: ReadonlySet<string> = CLIENT_COMMANDS,
): Decoded {
  const frames: PlainFrame[] = [];
  let error: StompError | undefined;
  let afterError = 0;
  const decoder = new FrameDecoder(
    limits,
    (f) => {
      if (error !== undefined) afterError++;
      else frames.push(plain(f));
    },
    commands,
  );
  decoder.version = version;
  for (const chunk of chunks) {
    try {
      decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof StompError) || error !== undefined) throw err;
      error = err;
    }
  }
  return { frames, error, afterError };
}

/**
 * A decoder of what a server sends (server commands, loose limits): each frame as a
 * {@link PlainFrame} to `onFrame`, header values unescaped by the version CONNECTED names, and by
 * `before` until then.
 */
export function serverFrameDecoder(onFrame: (f: PlainFrame) => void, before: StompVersion = '1.2'): FrameDecoder {
  const decoder: FrameDecoder = new FrameDecoder(
    LOOSE_LIMITS,
    (f) => {
      const p = plain(f);
      if (p.command === 'CONNECTED') decoder.version = (p.headers.find(([n]) => n === 'version')?.[1] ?? '1.0') as StompVersion;
      onFrame(p);
    },
    SERVER_COMMANDS,
  );
  decoder.version = before;
  return decoder;
}
