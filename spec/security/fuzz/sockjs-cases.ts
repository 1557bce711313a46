/**
 * Random SockJS messages: what a client can put where SockJS expects a JSON array of strings.
 * Any JSON value (every type, nested, large), arrays of strings holding STOMP frames (with
 * unicode, lone surrogates, NULs), arrays mixing strings with anything, arrays of numbers
 * (bytes), objects claiming a length, deep nesting, JSON that does not parse, and a few sizes
 * past 64 KiB. A case is one to four such messages on one SockJS session, sent over the
 * websocket transport or posted to xhr_send, optionally after a valid CONNECT.
 */
import fc from 'fast-check';

export interface SockJsCase {
  readonly transport: 'websocket' | 'xhr';
  readonly connect: boolean;
  readonly messages: string[];
}

/** A code unit that JSON.stringify escapes as a lone surrogate (\udXXX). */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const unit = fc.oneof({ arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 8 }, { arbitrary: loneSurrogate, weight: 1 }, { arbitrary: fc.constantFrom('\0', '\n', '\r', ':', '\\', '"'), weight: 2 });
const wild = fc.string({ unit, maxLength: 40 });

const STOMP = [
  'CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0',
  'SUBSCRIBE\nid:0\ndestination:/topic/a\nreceipt:r\n\n\0',
  'SUBSCRIBE\nid:1\ndestination:/topic/**\n\n\0',
  'SEND\ndestination:/topic/a\n\nhello\0',
  'SEND\ndestination:/app/echo\ncontent-type:application/json\n\n{"name":"x"}\0',
  'SEND\ndestination:/topic/a\ncontent-length:3\n\na\0b\0',
  'BEGIN\ntransaction:t\n\n\0',
  'COMMIT\ntransaction:t\n\n\0',
  'DISCONNECT\nreceipt:d\n\n\0',
  '\n',
];

/** A string holding STOMP: a known frame, maybe with wild text spliced in. */
const stompString = fc.tuple(fc.constantFrom(...STOMP), fc.option(wild), fc.nat()).map(([frame, extra, at]) => {
  if (extra === null) return frame;
  const i = at % (frame.length + 1);
  return frame.slice(0, i) + extra + frame.slice(i);
});

const anyJson = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null');

const message: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.array(stompString, { minLength: 1, maxLength: 4 }).map((a) => JSON.stringify(a)), weight: 6 },
  { arbitrary: stompString.map((s) => JSON.stringify(s)), weight: 1 }, // a bare JSON string: legal on the websocket transport
  { arbitrary: anyJson, weight: 4 },
  { arbitrary: fc.array(fc.oneof(stompString, fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 4 }).map((a) => JSON.stringify(a)), weight: 3 },
  { arbitrary: fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 64 }).map((bytes) => JSON.stringify([bytes])), weight: 1 },
  { arbitrary: fc.constantFrom(10, 1000, 100000, 20000000, 1e9, -1, 1.5, 'x').map((length) => JSON.stringify([{ length }])), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 100000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 5000 }).map((depth) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`), weight: 1 },
  { arbitrary: fc.integer({ min: 60_000, max: 300_000 }).map((n) => JSON.stringify([`SEND\ndestination:/topic/a\n\n${'x'.repeat(n)}\0`])), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 20000 }).map((n) => JSON.stringify(Array<string>(n).fill('\n'))), weight: 1 },
  { arbitrary: wild, weight: 2 }, // mostly not JSON
  { arbitrary: fc.constantFrom('', '[', '["a"', '["a",]', '[1e999]', '[-0]', '{"__proto__":[]}', '["\\ud800"]', '["\\u0000"]', 'null', 'true', '[]', '[""]', '"a"'), weight: 2 },
);

export const sockJsCase: fc.Arbitrary<SockJsCase> = fc.record({
  transport: fc.constantFrom('websocket', 'xhr'),
  connect: fc.boolean(),
  messages: fc.array(message, { minLength: 1, maxLength: 4 }),
});

/** Any SockJS message on its own (the HTTP fuzz posts these as bodies). */
export const sockJsMessage = message;
