import fc from 'fast-check';
import type { ErrorCode } from '../../broker/errors';
import type { DecoderLimits } from '../../broker/stomp/decoder';
import { encodeFrame } from '../../broker/stomp/encoder';
import { CLIENT_COMMANDS, SERVER_COMMANDS, type Command } from '../../broker/stomp/frame';
import type { StompVersion } from '../../broker/stomp/versions';
import { bytes, cutAt, decodeAll, frame, type PlainFrame } from '../helpers/frames';

const ALL_COMMANDS: ReadonlySet<string> = new Set([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);
const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) };

/** The codes a decoder may raise; anything else (or a plain Error) is a bug. */
const DECODER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'STOMP_ERR_MALFORMED_FRAME',
  'STOMP_ERR_UNKNOWN_COMMAND',
  'STOMP_ERR_INVALID_ESCAPE',
  'STOMP_ERR_INVALID_CONTENT_LENGTH',
  'STOMP_ERR_FRAME_TOO_LARGE',
  'STOMP_ERR_TOO_MANY_HEADERS',
  'STOMP_ERR_HEADER_TOO_LONG',
]);

const version = fc.constantFrom<StompVersion>('1.2', '1.1', '1.0');
const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 10 });
const chunked = (buf: Uint8Array, offsets: number[]): Uint8Array[] => cutAt(buf, offsets.map((o) => o % (buf.length + 1)));

/** Byte streams that look enough like STOMP to reach every state of the decoder. */
const token = fc.oneof(
  fc.constantFrom('SEND', 'CONNECT', 'MESSAGE', 'SUBSCRIBE', 'FOO', '\n', '\r\n', '\r', ':', '\\', '\\n', '\\c', '\\r', '\\t', '\0'),
  fc.constantFrom('content-length:', 'content-length:3', 'content-length:0', 'content-length:x', 'destination:/a'),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.uint8Array({ maxLength: 8 }),
);
const stream = fc.array(token, { maxLength: 40 }).map((parts) => bytes(...parts));
const smallLimits: fc.Arbitrary<DecoderLimits> = fc.record({
  maxFrameSize: fc.integer({ min: 1, max: 200 }),
  maxHeaders: fc.integer({ min: 0, max: 6 }),
  maxHeaderLength: fc.integer({ min: 1, max: 40 }),
});

/**
 * An error code, except that the three limits count as one: when a frame breaks two limits,
 * which one a decoder notices first depends on how many bytes it has seen, so on the chunking.
 */
const LIMIT_CODES: ReadonlySet<string> = new Set(['STOMP_ERR_FRAME_TOO_LARGE', 'STOMP_ERR_TOO_MANY_HEADERS', 'STOMP_ERR_HEADER_TOO_LONG']);
const kind = (code: ErrorCode | undefined): string | undefined => (code !== undefined && LIMIT_CODES.has(code) ? 'limit' : code);

describe('FrameDecoder properties', () => {
  it('turns any byte sequence in any chunking into frames or a StompError, and nothing after it', () => {
    fc.assert(
      fc.property(stream, cuts, smallLimits, version, fc.boolean(), (input, offsets, limits, v, server) => {
        // decodeAll rethrows anything that is not a StompError, failing the property.
        const got = decodeAll(chunked(input, offsets), limits, v, server ? ALL_COMMANDS : CLIENT_COMMANDS);
        if (got.error !== undefined) expect(DECODER_CODES.has(got.error.code)).toBe(true);
        expect(got.afterError).toBe(0);
      }),
      RUNS,
    );
  });

  it('decodes any byte sequence the same whatever the chunking', () => {
    fc.assert(
      fc.property(stream, cuts, smallLimits, version, (input, offsets, limits, v) => {
        const whole = decodeAll([input], limits, v);
        const pieces = decodeAll(chunked(input, offsets), limits, v);
        expect(pieces.frames).toEqual(whole.frames);
        expect(kind(pieces.error?.code)).toBe(kind(whole.error?.code));
      }),
      RUNS,
    );
  });

  describe('encode then decode', () => {
    // Characters that escaping must handle, mixed with any Unicode code point.
    const tricky = fc.oneof(
      fc.constantFrom(':', '\n', '\r', '\\', 'c', 'n', 'r', '\\c', '\\n'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const text = fc.string({ unit: tricky, maxLength: 12 });
    const noEol = (s: string): boolean => !/[\r\n]/.test(s);

    /**
     * Headers that survive a round trip under `v` for `command`. Where nothing is escaped
     * (STOMP 1.0, CONNECT, STOMP, CONNECTED) the spec allows no EOL anywhere and no ":" in a
     * name. STOMP 1.1 has no escape for CR, so a value may not end with one: it would read as
     * the CR of a CRLF.
     */
    function headersFor(v: StompVersion, command: Command): fc.Arbitrary<Array<[string, string]>> {
      const raw = v === '1.0' || command === 'CONNECT' || command === 'STOMP' || command === 'CONNECTED';
      const name = text.filter((n) => n.length > 0 && n !== 'content-length' && (!raw || (noEol(n) && !n.includes(':'))));
      const value = text.filter((s) => (raw ? noEol(s) : v !== '1.1' || !s.endsWith('\r')));
      return fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, maxLength: 6 });
    }

    const command = fc.constantFrom<Command>(...([...ALL_COMMANDS] as Command[]));
    const randomFrame = (v: StompVersion): fc.Arbitrary<{ command: Command; headers: Array<[string, string]>; body: Uint8Array }> =>
      command.chain((c) => fc.record({ command: fc.constant(c), headers: headersFor(v, c), body: fc.uint8Array({ maxLength: 48 }) }));

    const expectedOf = (f: { command: Command; headers: Array<[string, string]>; body: Uint8Array }): PlainFrame =>
      frame(f.command, f.body.length > 0 ? [...f.headers, ['content-length', String(f.body.length)]] : f.headers, f.body);

    it.each(['1.2', '1.1', '1.0'] as const)('is the identity for random frames under %s in any chunking', (v) => {
      const beat = fc.constantFrom('', '\n', '\r\n', '\n\n');
      fc.assert(
        fc.property(fc.array(fc.tuple(randomFrame(v), beat), { minLength: 1, maxLength: 3 }), cuts, (frames, offsets) => {
          const wire = bytes(...frames.flatMap(([f, eol]) => [encodeFrame(f.command, f.headers, f.body, v), eol]));
          const got = decodeAll(chunked(wire, offsets), undefined, v, ALL_COMMANDS);
          expect(got.error).toBeUndefined();
          expect(got.frames).toEqual(frames.map(([f]) => expectedOf(f)));
        }),
        RUNS,
      );
    });
  });
});
