/**
 * Random and mutated STOMP input. A case is a handful of mostly-valid client frames (every
 * command, the headers each one needs, values from a dictionary of the tricky ones: patterns,
 * user destinations with bad percent-escapes, escapes STOMP does not define, content-lengths
 * that lie, huge, negative or not numbers), optionally made worse (thousands of headers, a
 * line past every limit, heart-beats, the same frame hundreds of times), then mutated as bytes
 * (bits flipped, bytes inserted, deleted, duplicated, the stream truncated), then cut at random
 * points into transport messages sent as text or binary. Half the cases start with a valid
 * CONNECT, so the deeper, connected states are reached.
 */
import fc from 'fast-check';
import { COMMANDS, DESTINATIONS, NAMES, VALUES } from './stomp-dictionary';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

export type Amplifier =
  | { kind: 'none' }
  | { kind: 'headers'; count: number }
  | { kind: 'long-line'; length: number }
  | { kind: 'heartbeats'; count: number }
  | { kind: 'repeat'; count: number };

export interface StompFrameSpec {
  readonly command: string;
  readonly headers: Array<[string, string]>;
  readonly body: string | Uint8Array;
  readonly contentLength: 'none' | 'exact' | 'short' | 'long' | 'garbage';
}

export interface StompCase {
  /** A valid CONNECT first (its own message), or none. */
  readonly connect: 'none' | '1.0' | '1.1' | '1.2';
  readonly frames: StompFrameSpec[];
  readonly crlf: boolean;
  readonly amplifier: Amplifier;
  readonly mutations: Mutation[];
  /** Where the stream is cut into messages, as fractions of its length. */
  readonly cuts: number[];
  readonly mode: 'text' | 'binary' | 'mixed';
}

const text = fc.string({ maxLength: 24 });
const unicode = fc.string({ unit: 'binary', maxLength: 12 });
const value = fc.oneof({ arbitrary: fc.constantFrom(...VALUES), weight: 4 }, { arbitrary: fc.constantFrom(...DESTINATIONS), weight: 2 }, text, unicode, fc.nat().map(String));
const name = fc.oneof({ arbitrary: fc.constantFrom(...NAMES), weight: 5 }, text, unicode);
const destination = fc.oneof({ arbitrary: fc.constantFrom(...DESTINATIONS), weight: 6 }, text.map((t) => `/topic/${t}`), unicode.map((t) => `/topic/${t}`));
const small = fc.constantFrom('0', '1', 'tx', 's1', 'a', 'm-1');
const interesting = fc.constantFrom(0x00, 0x0a, 0x0d, 0x3a, 0x5c, 0xff, 0xc3, 0x80, 0xed, 0xa0, 0x20);

/** The headers a command needs, with values mostly right. */
const required: Record<string, fc.Arbitrary<Array<[string, string]>>> = {
  CONNECT: fc.tuple(fc.constantFrom('1.2', '1.1', '1.0', '1.2,1.1,1.0', '2.0', ''), fc.constantFrom('0,0', '10,10', '1,1', '-1,0', 'x')).map(([v, hb]) => [
    ['accept-version', v],
    ['heart-beat', hb],
  ]),
  STOMP: fc.constant([['accept-version', '1.2'], ['host', 'localhost']]),
  SEND: fc.tuple(destination, fc.option(small)).map(([d, tx]) => (tx === null ? [['destination', d]] : [['destination', d], ['transaction', tx]])),
  SUBSCRIBE: fc.tuple(small, destination, fc.constantFrom('auto', 'client', 'client-individual', 'bogus')).map(([id, d, ack]) => [
    ['id', id],
    ['destination', d],
    ['ack', ack],
  ]),
  UNSUBSCRIBE: small.map((id) => [['id', id]]),
  ACK: fc.tuple(small, fc.option(small)).map(([id, tx]) => (tx === null ? [['id', id]] : [['id', id], ['transaction', tx]])),
  NACK: small.map((id) => [['id', id]]),
  BEGIN: small.map((tx) => [['transaction', tx]]),
  COMMIT: small.map((tx) => [['transaction', tx]]),
  ABORT: small.map((tx) => [['transaction', tx]]),
  DISCONNECT: fc.constant([]),
};

const body = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  { arbitrary: fc.json({ maxDepth: 3 }), weight: 3 },
  { arbitrary: fc.constantFrom('{"name":"x"}', '{"__proto__":{"polluted":1}}', 'null', '[]', '"s"'), weight: 2 },
  { arbitrary: text, weight: 2 },
  { arbitrary: unicode, weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 2 },
  { arbitrary: fc.integer({ min: 60_000, max: 70_000 }).map((n) => 'b'.repeat(n)), weight: 1 },
);

const command = fc.oneof({ arbitrary: fc.constantFrom(...COMMANDS), weight: 12 }, { arbitrary: fc.constantFrom('CONNECTED', 'MESSAGE', 'FOO', 'send', ''), weight: 1 });

const frame: fc.Arbitrary<StompFrameSpec> = command.chain((command) =>
  fc.record({
    command: fc.constant(command),
    headers: fc
      .tuple(required[command] ?? fc.constant<Array<[string, string]>>([]), fc.array(fc.tuple(name, value), { maxLength: 4 }), fc.option(fc.constant<[string, string]>(['receipt', 'r']), { freq: 2 }))
      .map(([need, extra, receipt]) => [...need, ...extra, ...(receipt === null ? [] : [receipt])]),
    body,
    contentLength: fc.constantFrom('none', 'none', 'none', 'exact', 'exact', 'exact', 'short', 'long', 'garbage'),
  }),
);

const at = fc.double({ min: 0, max: 1, noNaN: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.array(fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
);

const amplifier: fc.Arbitrary<Amplifier> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 12 },
  { arbitrary: fc.integer({ min: 90, max: 5000 }).map((count) => ({ kind: 'headers' as const, count })), weight: 1 },
  { arbitrary: fc.integer({ min: 8000, max: 200_000 }).map((length) => ({ kind: 'long-line' as const, length })), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 5000 }).map((count) => ({ kind: 'heartbeats' as const, count })), weight: 1 },
  { arbitrary: fc.integer({ min: 2, max: 400 }).map((count) => ({ kind: 'repeat' as const, count })), weight: 1 },
);

/** A whole STOMP case. */
export const stompCase: fc.Arbitrary<StompCase> = fc.record({
  connect: fc.constantFrom('none', '1.2', '1.2', '1.2', '1.1', '1.0'),
  frames: fc.array(frame, { minLength: 1, maxLength: 6 }),
  crlf: fc.boolean(),
  amplifier,
  mutations: fc.oneof({ arbitrary: fc.constant<Mutation[]>([]), weight: 3 }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }), weight: 2 }),
  cuts: fc.array(at, { maxLength: 5 }),
  mode: fc.constantFrom('text', 'binary', 'binary', 'mixed'),
});

const encoder = new TextEncoder();

function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? encoder.encode(s) : s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** One frame as bytes. */
export function encodeFrame(f: StompFrameSpec, crlf: boolean, extraHeaders: Array<[string, string]> = []): Uint8Array {
  const eol = crlf ? '\r\n' : '\n';
  const payload = bytesOf(f.body);
  const headers = [...f.headers, ...extraHeaders];
  const length = { none: undefined, exact: payload.length, short: Math.max(0, payload.length - 3), long: payload.length + 7, garbage: undefined }[f.contentLength];
  if (length !== undefined) headers.push(['content-length', String(length)]);
  if (f.contentLength === 'garbage') headers.push(['content-length', '12abc']);
  const head = `${f.command}${eol}${headers.map(([n, v]) => `${n}:${v}${eol}`).join('')}${eol}`;
  return concat([encoder.encode(head), payload, Uint8Array.of(0)]);
}

/** Applies byte mutations in order (positions as fractions of the current length). */
export function mutate(data: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = data;
  for (const m of mutations) {
    const i = Math.min(out.length, Math.floor(m.at * out.length));
    switch (m.kind) {
      case 'flip':
        if (i < out.length) {
          out = out.slice();
          out[i] ^= 1 << m.bit;
        }
        break;
      case 'insert':
        out = concat([out.subarray(0, i), Uint8Array.from(m.bytes), out.subarray(i)]);
        break;
      case 'delete':
        out = concat([out.subarray(0, i), out.subarray(i + m.length)]);
        break;
      case 'duplicate':
        out = concat([out.subarray(0, i + m.length), out.subarray(i, i + m.length), out.subarray(i + m.length)]);
        break;
      case 'truncate':
        out = out.subarray(0, i);
        break;
    }
  }
  return out;
}

/** One transport message of a case. */
export interface WireMessage {
  readonly data: Uint8Array;
  readonly binary: boolean;
}

/** The messages a case sends, in order. */
export function messagesOf(c: StompCase): WireMessage[] {
  const messages: WireMessage[] = [];
  if (c.connect !== 'none') messages.push({ data: encoder.encode(`CONNECT\naccept-version:${c.connect}\nheart-beat:0,0\n\n\0`), binary: false });
  const frames = c.frames.map((f, i) => {
    if (i !== 0) return encodeFrame(f, c.crlf);
    const a = c.amplifier;
    if (a.kind === 'headers') return encodeFrame(f, c.crlf, Array.from({ length: a.count }, (_, k) => [`h${k}`, 'v']));
    if (a.kind === 'long-line') return encodeFrame(f, c.crlf, [['long', 'l'.repeat(a.length)]]);
    return encodeFrame(f, c.crlf);
  });
  if (c.amplifier.kind === 'heartbeats') frames.unshift(encoder.encode((c.crlf ? '\r\n' : '\n').repeat(c.amplifier.count)));
  // Repeated up to about 2 MB in all: past the message limit, not past reason.
  if (c.amplifier.kind === 'repeat') frames.push(...Array<Uint8Array>(Math.min(c.amplifier.count, Math.floor(2e6 / Math.max(1, frames[0].length)))).fill(frames[0]));
  const stream = mutate(concat(frames), c.mutations);
  const cuts = [...new Set(c.cuts.map((f) => Math.floor(f * stream.length)))].sort((a, b) => a - b);
  let from = 0;
  for (const [k, cut] of [...cuts, stream.length].entries()) {
    if (cut <= from) continue;
    const binary = c.mode === 'binary' || (c.mode === 'mixed' && k % 2 === 1);
    messages.push({ data: stream.subarray(from, cut), binary });
    from = cut;
  }
  return messages;
}
