import { StompError } from '../../broker/errors';
import { FrameDecoder, type DecoderLimits } from '../../broker/stomp/decoder';
import { SERVER_COMMANDS, type Frame } from '../../broker/stomp/frame';
import { bytes, decodeAll, frame, LOOSE_LIMITS, plain, splitEverywhere } from '../helpers/frames';

const limits = (over: Partial<DecoderLimits>): DecoderLimits => ({ ...LOOSE_LIMITS, ...over });

/** Decodes `input` in one chunk and returns the error code, failing if there is none. */
function codeOf(input: Uint8Array | string, over: Partial<DecoderLimits> = {}, version: '1.0' | '1.1' | '1.2' = '1.2'): string {
  const { error } = decodeAll([typeof input === 'string' ? bytes(input) : input], limits(over), version);
  if (error === undefined) throw new Error('expected a StompError');
  return error.code;
}

describe('FrameDecoder', () => {
  describe('a frame stream cut anywhere', () => {
    // Heart-beats between frames, LF and CRLF, a binary content-length body holding NUL, a
    // NUL-terminated body, an empty body and UTF-8 in headers and body.
    const stream = bytes(
      '\n',
      'CONNECT\naccept-version:1.2,1.1\nhost:a\\b\nheart-beat:10000,10000\n\n\0',
      '\r\n\n',
      'SEND\r\ndestination:/queue/bin\r\ncontent-length:6\r\n\r\n',
      [0x61, 0x00, 0x62, 0xff, 0x01, 0x0a],
      '\0\n',
      'SEND\ndestination:/topic/\u00e9t\u00e9\nnote:\u65e5\u672c\u8a9e\\c\u{1f600}\n\nh\u00e9llo \u4e16\u754c\0',
      'SUBSCRIBE\nid:0\ndestination:/topic/x\n\n\0',
      '\r\n',
      'DISCONNECT\r\nreceipt:77\r\n\r\n\0\n\n',
    );
    const expected = [
      frame('CONNECT', [['accept-version', '1.2,1.1'], ['host', 'a\\b'], ['heart-beat', '10000,10000']]),
      frame('SEND', [['destination', '/queue/bin'], ['content-length', '6']], Uint8Array.of(0x61, 0x00, 0x62, 0xff, 0x01, 0x0a)),
      frame('SEND', [['destination', '/topic/\u00e9t\u00e9'], ['note', '\u65e5\u672c\u8a9e:\u{1f600}']], 'h\u00e9llo \u4e16\u754c'),
      frame('SUBSCRIBE', [['id', '0'], ['destination', '/topic/x']]),
      frame('DISCONNECT', [['receipt', '77']]),
    ];

    it('decodes the stream in one chunk', () => {
      expect(decodeAll([stream])).toEqual({ frames: expected, error: undefined, afterError: 0 });
    });

    it('decodes identically when cut at every byte boundary, in two or three pieces or byte by byte', () => {
      let splits = 0;
      for (const chunks of splitEverywhere(stream)) {
        const got = decodeAll(chunks);
        if (got.error !== undefined) throw new Error(`split ${chunks.map((c) => c.length).join('+')}: ${got.error.message}`);
        expect(got.frames).toEqual(expected);
        splits++;
      }
      expect(splits).toBe(2 * stream.length + 2);
    });
  });

  it('decodes several frames in one chunk, in order', () => {
    const got = decodeAll([bytes('SEND\ndestination:/a\n\none\0SEND\ndestination:/b\n\ntwo\0BEGIN\ntransaction:t\n\n\0')]);
    expect(got.frames).toEqual([
      frame('SEND', [['destination', '/a']], 'one'),
      frame('SEND', [['destination', '/b']], 'two'),
      frame('BEGIN', [['transaction', 't']]),
    ]);
  });

  it('treats EOLs alone as heart-beats and yields no frame', () => {
    const decoder = new FrameDecoder(LOOSE_LIMITS, () => {
      throw new Error('no frame expected');
    });
    for (const beat of ['\n', '\r\n', '\n\n\n', '\r\n\r\n']) decoder.push(bytes(beat));
    expect(decoder.buffered).toBe(0);
  });

  it('holds the bytes of an unfinished frame and releases them once it completes', () => {
    const seen: Frame[] = [];
    const decoder = new FrameDecoder(LOOSE_LIMITS, (f) => seen.push(f));
    decoder.push(bytes('SEND\ndestination:/a\n\nbo'));
    expect(decoder.buffered).toBe(23);
    decoder.push(bytes('dy\0\n'));
    expect(decoder.buffered).toBe(0);
    expect(seen.map(plain)).toEqual([frame('SEND', [['destination', '/a']], 'body')]);
  });

  it('keeps each body intact when the caller pushes the next chunk', () => {
    const seen: Frame[] = [];
    const decoder = new FrameDecoder(LOOSE_LIMITS, (f) => seen.push(f));
    decoder.push(bytes('SEND\ndestination:/a\n\nfir'));
    decoder.push(bytes('st\0SEND\ndestination:/a\n\nsec'));
    decoder.push(bytes('ond\0'));
    expect(seen.map((f) => Buffer.from(f.body).toString())).toEqual(['first', 'second']);
  });

  it('keeps the first of repeated headers', () => {
    const got = decodeAll([bytes('SEND\ndestination:/first\nfoo:1\ndestination:/second\nfoo:2\n\n\0')]);
    expect(got.frames).toEqual([frame('SEND', [['destination', '/first'], ['foo', '1']])]);
  });

  it('keeps the first content-length when it is repeated', () => {
    const got = decodeAll([bytes('SEND\ncontent-length:3\ncontent-length:1\n\na\0c\0')]);
    expect(got.frames).toEqual([frame('SEND', [['content-length', '3']], Uint8Array.of(0x61, 0, 0x63))]);
  });

  it('treats __proto__, constructor and prototype header names as plain data', () => {
    const got = decodeAll([bytes('SEND\n__proto__:x\nconstructor:y\nprototype:z\nhasOwnProperty:w\n\n\0')]);
    expect(got.frames[0].headers).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['prototype', 'z'],
      ['hasOwnProperty', 'w'],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'x')).toBe(false);
  });

  it('allows an empty header value and a colon inside a value', () => {
    const got = decodeAll([bytes('SEND\nempty:\nurl:http://h:1/p\n\n\0')]);
    expect(got.frames[0].headers).toEqual([
      ['empty', ''],
      ['url', 'http://h:1/p'],
    ]);
  });

  describe('header escaping', () => {
    it('unescapes headers under 1.2', () => {
      const got = decodeAll([bytes('SEND\na\\cb:1\\r\\n2\\c3\\\\4\n\n\0')], LOOSE_LIMITS, '1.2');
      expect(got.frames[0].headers).toEqual([['a:b', '1\r\n2:3\\4']]);
    });

    it('unescapes \\n, \\c and \\\\ under 1.1', () => {
      const got = decodeAll([bytes('SEND\nk:1\\n2\\c3\\\\4\n\n\0')], LOOSE_LIMITS, '1.1');
      expect(got.frames[0].headers).toEqual([['k', '1\n2:3\\4']]);
    });

    it('leaves backslashes literal under 1.0', () => {
      const got = decodeAll([bytes('SEND\nk:1\\n2\\t\\\n\n\0')], LOOSE_LIMITS, '1.0');
      expect(got.frames[0].headers).toEqual([['k', '1\\n2\\t\\']]);
    });

    it.each(['CONNECT', 'STOMP'])('never unescapes %s headers', (command) => {
      const got = decodeAll([bytes(`${command}\nlogin:a\\b\npasscode:x\\cy\\t\n\n\0`)]);
      expect(got.frames).toEqual([frame(command, [['login', 'a\\b'], ['passcode', 'x\\cy\\t']])]);
    });

    it('never unescapes CONNECTED headers when decoding server frames', () => {
      const got = decodeAll([bytes('CONNECTED\nserver:a\\b\\t\n\n\0')], LOOSE_LIMITS, '1.2', SERVER_COMMANDS);
      expect(got.frames).toEqual([frame('CONNECTED', [['server', 'a\\b\\t']])]);
    });

    it('applies a version set while handling a frame to the frames that follow in the same chunk', () => {
      const seen: Frame[] = [];
      const decoder = new FrameDecoder(LOOSE_LIMITS, (f) => {
        seen.push(f);
        if (f.command === 'CONNECT') decoder.version = '1.0';
      });
      decoder.push(bytes('CONNECT\n\n\0SEND\nk:a\\tb\n\n\0'));
      expect(seen.map(plain)[1]).toEqual(frame('SEND', [['k', 'a\\tb']]));
    });
  });

  describe('limits', () => {
    // 'SEND\n\n' (6 bytes) + body + NUL
    const sized = (size: number): string => `SEND\n\n${'x'.repeat(size - 7)}\0`;
    const sizedWithLength = (size: number): string => {
      const head = (n: number): string => `SEND\ncontent-length:${n}\n\n`;
      let n = 0;
      for (let i = 0; i < 3; i++) n = size - head(n).length - 1; // settles once the digit count does
      return `${head(n)}${'y'.repeat(n)}\0`;
    };

    it('accepts a frame of exactly maxFrameSize bytes without content-length', () => {
      expect(bytes(sized(100)).length).toBe(100);
      expect(decodeAll([bytes(sized(100))], limits({ maxFrameSize: 100 })).frames).toHaveLength(1);
    });

    it('refuses a frame one byte over maxFrameSize without content-length', () => {
      expect(codeOf(sized(101), { maxFrameSize: 100 })).toBe('STOMP_ERR_FRAME_TOO_LARGE');
    });

    it('accepts a frame of exactly maxFrameSize bytes with content-length', () => {
      expect(bytes(sizedWithLength(100)).length).toBe(100);
      expect(decodeAll([bytes(sizedWithLength(100))], limits({ maxFrameSize: 100 })).frames).toHaveLength(1);
    });

    it('refuses a frame one byte over maxFrameSize with content-length', () => {
      expect(bytes(sizedWithLength(101)).length).toBe(101);
      expect(codeOf(sizedWithLength(101), { maxFrameSize: 100 })).toBe('STOMP_ERR_FRAME_TOO_LARGE');
    });

    it('refuses a content-length over maxFrameSize as soon as the head ends, before the body arrives', () => {
      expect(codeOf('SEND\ncontent-length:1000000\n\n', { maxFrameSize: 1000 })).toBe('STOMP_ERR_FRAME_TOO_LARGE');
    });

    it('refuses a body without NUL once it grows past maxFrameSize, before any NUL arrives', () => {
      const decoder = new FrameDecoder(limits({ maxFrameSize: 64 }), () => undefined);
      decoder.push(bytes('SEND\n\n'));
      let pushed = 6;
      let thrown: unknown;
      while (thrown === undefined && pushed < 1000) {
        try {
          decoder.push(bytes('z'));
          pushed++;
        } catch (err) {
          thrown = err;
        }
      }
      expect(thrown).toBeInstanceOf(StompError);
      expect((thrown as StompError).code).toBe('STOMP_ERR_FRAME_TOO_LARGE');
      expect(pushed).toBeLessThanOrEqual(65);
    });

    it('refuses a head larger than maxFrameSize before it ends', () => {
      const head = `SEND\n${'h:v\n'.repeat(40)}`;
      expect(codeOf(head, { maxFrameSize: 100 })).toBe('STOMP_ERR_FRAME_TOO_LARGE');
    });

    it('counts frame size from the command, not from the heart-beats before it', () => {
      const got = decodeAll([bytes('\n'.repeat(500), sized(100))], limits({ maxFrameSize: 100 }));
      expect(got.error).toBeUndefined();
      expect(got.frames).toHaveLength(1);
    });

    it('accepts exactly maxHeaders headers and refuses one more', () => {
      const head = (n: number): string => `SEND\n${Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('')}\n\0`;
      expect(decodeAll([bytes(head(5))], limits({ maxHeaders: 5 })).frames[0].headers).toHaveLength(5);
      expect(codeOf(head(6), { maxHeaders: 5 })).toBe('STOMP_ERR_TOO_MANY_HEADERS');
    });

    it('accepts a header line of exactly maxHeaderLength bytes, with LF or CRLF', () => {
      const line = `k:${'v'.repeat(18)}`; // 20 bytes
      expect(decodeAll([bytes(`SEND\n${line}\n\n\0`)], limits({ maxHeaderLength: 20 })).frames).toHaveLength(1);
      expect(decodeAll([bytes(`SEND\r\n${line}\r\n\r\n\0`)], limits({ maxHeaderLength: 20 })).frames).toHaveLength(1);
    });

    it('refuses a header line one byte over maxHeaderLength, with LF or CRLF', () => {
      const line = `k:${'v'.repeat(19)}`; // 21 bytes
      expect(codeOf(`SEND\n${line}\n\n\0`, { maxHeaderLength: 20 })).toBe('STOMP_ERR_HEADER_TOO_LONG');
      expect(codeOf(`SEND\r\n${line}\r\n\r\n\0`, { maxHeaderLength: 20 })).toBe('STOMP_ERR_HEADER_TOO_LONG');
    });

    it('measures maxHeaderLength in bytes, not characters', () => {
      const line = `k:${'\u00e9'.repeat(10)}`; // 12 characters, 22 bytes
      expect(codeOf(`SEND\n${line}\n\n\0`, { maxHeaderLength: 20 })).toBe('STOMP_ERR_HEADER_TOO_LONG');
    });

    it('refuses an endless header line before its LF arrives', () => {
      expect(codeOf(`SEND\nk:${'v'.repeat(100)}`, { maxHeaderLength: 20 })).toBe('STOMP_ERR_HEADER_TOO_LONG');
    });

    it('applies maxHeaderLength to the command line', () => {
      expect(codeOf(`${'S'.repeat(50)}`, { maxHeaderLength: 20 })).toBe('STOMP_ERR_HEADER_TOO_LONG');
    });
  });

  describe('malformed frames', () => {
    it.each([
      ['an unknown command', 'FOO\n\n\0'],
      ['a lower-case command', 'send\n\n\0'],
      ['a server command sent by a client', 'MESSAGE\n\n\0'],
      ['a command with trailing space', 'SEND \n\n\0'],
    ])('refuses %s with STOMP_ERR_UNKNOWN_COMMAND', (_, input) => {
      expect(codeOf(input)).toBe('STOMP_ERR_UNKNOWN_COMMAND');
    });

    it.each([
      ['a header without a colon', 'SEND\ndestination\n\n\0'],
      ['a header with an empty name', 'SEND\n:value\n\n\0'],
    ])('refuses %s with STOMP_ERR_MALFORMED_FRAME', (_, input) => {
      expect(codeOf(input)).toBe('STOMP_ERR_MALFORMED_FRAME');
    });

    it.each(['abc', '-1', '', '1.5', ' 5', '5 ', '1e3', '0x10', '1234567890123456'])(
      'refuses content-length "%s" with STOMP_ERR_INVALID_CONTENT_LENGTH',
      (value) => {
        expect(codeOf(`SEND\ncontent-length:${value}\n\n\0`)).toBe('STOMP_ERR_INVALID_CONTENT_LENGTH');
      },
    );

    it('refuses a content-length body not followed by NUL', () => {
      expect(codeOf('SEND\ncontent-length:2\n\nabc\0')).toBe('STOMP_ERR_INVALID_CONTENT_LENGTH');
    });

    it('refuses a content-length body not followed by NUL when the byte after it arrives later', () => {
      const got = decodeAll([bytes('SEND\ncontent-length:2\n\nab'), bytes('c\0')]);
      expect(got.error?.code).toBe('STOMP_ERR_INVALID_CONTENT_LENGTH');
    });

    it.each([
      ['1.2', 'a\\tb'],
      ['1.2', 'trailing\\'],
      ['1.1', 'cr\\r'],
      ['1.1', 'a\\xb'],
    ] as const)('refuses an undefined escape under %s ("%s") with STOMP_ERR_INVALID_ESCAPE', (version, value) => {
      expect(codeOf(`SEND\nk:${value}\n\n\0`, {}, version)).toBe('STOMP_ERR_INVALID_ESCAPE');
    });

    it('refuses an undefined escape in a header name', () => {
      expect(codeOf('SEND\nk\\t:v\n\n\0')).toBe('STOMP_ERR_INVALID_ESCAPE');
    });

    it('delivers the frames before a fault, then throws', () => {
      const got = decodeAll([bytes('SEND\ndestination:/a\n\nok\0FOO\n\n\0')]);
      expect(got.frames).toEqual([frame('SEND', [['destination', '/a']], 'ok')]);
      expect(got.error?.code).toBe('STOMP_ERR_UNKNOWN_COMMAND');
    });

    it('ignores all input after a fault', () => {
      const seen: Frame[] = [];
      const decoder = new FrameDecoder(LOOSE_LIMITS, (f) => seen.push(f));
      expect(() => decoder.push(bytes('FOO\n\n\0'))).toThrow(StompError);
      expect(() => decoder.push(bytes('SEND\n\n\0'))).not.toThrow();
      expect(() => decoder.push(bytes('BAR\n\n\0'))).not.toThrow();
      expect(seen).toHaveLength(0);
      expect(decoder.buffered).toBe(0);
    });

    it('names the limit and what was received in its messages', () => {
      const { error } = decodeAll([bytes('SEND\ncontent-length:xyz\n\n\0')]);
      expect(error?.message).toContain('content-length');
      expect(error?.message).toContain('xyz');
      const tooLong = decodeAll([bytes(`SEND\nk:${'v'.repeat(50)}\n\n\0`)], limits({ maxHeaderLength: 10 }));
      expect(tooLong.error?.message).toContain('maxHeaderLength');
    });
  });

  describe('cost', () => {
    /**
     * Counts the bytes that Uint8Array scans and copies touch while `run` executes: a decoder
     * that rescans or recopies its buffer on every push shows up as quadratic here, with no
     * timing involved.
     */
    function bytesTouched(run: () => void): number {
      const proto = Uint8Array.prototype;
      const { indexOf, set, copyWithin, slice } = proto;
      let touched = 0;
      proto.indexOf = function (this: Uint8Array, value: number, from = 0) {
        touched += Math.max(0, this.length - from);
        return indexOf.call(this, value, from);
      };
      proto.set = function (this: Uint8Array, src: ArrayLike<number>, offset?: number) {
        touched += src.length;
        return set.call(this, src, offset);
      };
      proto.copyWithin = function (this: Uint8Array, target: number, start: number, end?: number) {
        touched += (end ?? this.length) - start;
        return copyWithin.call(this, target, start, end);
      };
      proto.slice = function (this: Uint8Array, start?: number, end?: number) {
        touched += (end ?? this.length) - (start ?? 0);
        return slice.call(this, start, end);
      };
      try {
        run();
      } finally {
        Object.assign(proto, { indexOf, set, copyWithin, slice });
      }
      return touched;
    }

    const size = 60 * 1024;
    const cases: Array<[string, Uint8Array, (f: Frame) => void]> = [
      [
        'a NUL-terminated body',
        bytes('SEND\ndestination:/a\n\n', 'b'.repeat(size), '\0'),
        (f) => expect(f.body.length).toBe(size),
      ],
      [
        'a content-length body',
        bytes(`SEND\ncontent-length:${size}\n\n`, 'c'.repeat(size), '\0'),
        (f) => expect(f.body.length).toBe(size),
      ],
      ['a long header line', bytes(`SEND\nk:${'h'.repeat(size)}\n\n\0`), (f) => expect(f.headers.get('k')).toHaveLength(size)],
    ];

    it.each(cases)('decodes %s fed one byte per push in linear work', (_, input, check) => {
      const seen: Frame[] = [];
      const decoder = new FrameDecoder(limits({ maxHeaderLength: 1 << 20 }), (f) => seen.push(f));
      const oneByte = Array.from(input, (b) => Uint8Array.of(b));
      const touched = bytesTouched(() => {
        for (const chunk of oneByte) decoder.push(chunk);
      });
      expect(seen).toHaveLength(1);
      check(seen[0]);
      // Linear: a few passes over the frame. Quadratic work would be about size²/2 ≈ 1.9e9.
      expect(touched).toBeLessThan(10 * input.length);
    });
  });
});
