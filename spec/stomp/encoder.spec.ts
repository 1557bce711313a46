import { encodeFrame, encodeMessage, encodeMessageTail, HEARTBEAT, type MessageTailFields } from '../../broker/stomp/encoder';
import { SERVER_COMMANDS } from '../../broker/stomp/frame';
import type { StompVersion } from '../../broker/stomp/versions';
import { bytes, decodeAll, frame, splitEverywhere } from '../helpers/frames';

/** Bytes as a latin1 string: one character per byte, so comparisons are byte-exact and readable. */
const wire = (u8: Uint8Array): string => Buffer.from(u8).toString('latin1');
const expectWire = (actual: Uint8Array, expected: string | Uint8Array): void => {
  expect(wire(actual)).toBe(wire(typeof expected === 'string' ? bytes(expected) : expected));
};

describe('encodeFrame', () => {
  it('writes a frame with no headers and no body', () => {
    expectWire(encodeFrame('RECEIPT', []), 'RECEIPT\n\n\0');
  });

  it('writes headers in order and no content-length for an empty body', () => {
    expectWire(
      encodeFrame('RECEIPT', new Map([['receipt-id', '77'], ['x', 'y']])),
      'RECEIPT\nreceipt-id:77\nx:y\n\n\0',
    );
  });

  it('writes a byte-accurate content-length for a multi-byte body', () => {
    const body = bytes('h\u00e9llo \u4e16\u754c \u{1f600}'); // 10 code points, 18 bytes
    expect(body.length).toBe(18);
    expectWire(encodeFrame('ERROR', [['message', 'x']], body), bytes('ERROR\nmessage:x\ncontent-length:18\n\n', body, '\0'));
  });

  it('ignores a content-length given by the caller', () => {
    expectWire(
      encodeFrame('ERROR', [['content-length', '999'], ['message', 'm']], bytes('abc')),
      'ERROR\nmessage:m\ncontent-length:3\n\nabc\0',
    );
    expectWire(encodeFrame('RECEIPT', [['content-length', '5']]), 'RECEIPT\n\n\0');
  });

  it('writes a binary body holding NUL as is', () => {
    const body = Uint8Array.of(0, 1, 0xff, 0, 0x0a);
    expectWire(encodeFrame('MESSAGE', [], body), bytes('MESSAGE\ncontent-length:5\n\n', body, '\0'));
  });

  it('defaults to STOMP 1.2 escaping', () => {
    expectWire(encodeFrame('ERROR', [['message', 'a:b\r\n\\']]), 'ERROR\nmessage:a\\cb\\r\\n\\\\\n\n\0');
  });

  it.each([
    ['1.2', 'ERROR\nk\\cey:a\\cb\\r\\n\\\\\n\n\0'],
    ['1.1', 'ERROR\nk\\cey:a\\cb\r\\n\\\\\n\n\0'],
    ['1.0', 'ERROR\nk:ey:a:b  \\\n\n\0'],
  ] as const)('escapes header names and values under %s', (version, expected) => {
    expectWire(encodeFrame('ERROR', [['k:ey', 'a:b\r\n\\']], undefined, version), expected);
  });

  it.each(['CONNECT', 'CONNECTED', 'STOMP'] as const)('never escapes %s headers, turning EOLs into spaces', (command) => {
    expectWire(
      encodeFrame(command, [['server', 'a:b\\c'], ['x', 'one\ntwo\r']], undefined, '1.2'),
      `${command}\nserver:a:b\\c\nx:one two \n\n\0`,
    );
  });

  it('writes a heart-beat as a lone LF', () => {
    expectWire(HEARTBEAT, '\n');
  });
});

describe('encodeMessageTail and encodeMessage', () => {
  const fields = (over: Partial<MessageTailFields> = {}): MessageTailFields => ({
    messageId: 'm-1',
    destination: '/topic/a:b',
    contentType: 'text/plain;charset=UTF-8',
    headers: [['custom', 'x\ny']],
    body: bytes('h\u00e9'),
    ...over,
  });

  it.each([
    ['1.2', 'message-id:m-1\ndestination:/topic/a\\cb\ncontent-type:text/plain;charset=UTF-8\ncontent-length:3\ncustom:x\\ny\n\nh\u00e9\0'],
    ['1.1', 'message-id:m-1\ndestination:/topic/a\\cb\ncontent-type:text/plain;charset=UTF-8\ncontent-length:3\ncustom:x\\ny\n\nh\u00e9\0'],
    ['1.0', 'message-id:m-1\ndestination:/topic/a:b\ncontent-type:text/plain;charset=UTF-8\ncontent-length:3\ncustom:x y\n\nh\u00e9\0'],
  ] as const)('writes the shared tail under %s', (version, expected) => {
    expectWire(encodeMessageTail(fields(), version), expected);
  });

  it('omits content-type when there is none and writes content-length:0 for an empty body', () => {
    expectWire(
      encodeMessageTail(fields({ contentType: undefined, headers: [], body: new Uint8Array(0) }), '1.2'),
      'message-id:m-1\ndestination:/topic/a\\cb\ncontent-length:0\n\n\0',
    );
  });

  it('ignores a content-length carried over in the headers', () => {
    expectWire(
      encodeMessageTail(fields({ contentType: undefined, headers: [['content-length', '99']], body: bytes('ab') }), '1.2'),
      'message-id:m-1\ndestination:/topic/a\\cb\ncontent-length:2\n\nab\0',
    );
  });

  it('escapes the message id and escapes \\r only under 1.2', () => {
    expectWire(
      encodeMessageTail(fields({ messageId: 'a\rb', contentType: undefined, headers: [], body: bytes('') }), '1.2'),
      'message-id:a\\rb\ndestination:/topic/a\\cb\ncontent-length:0\n\n\0',
    );
    expectWire(
      encodeMessageTail(fields({ messageId: 'a\rb', contentType: undefined, headers: [], body: bytes('') }), '1.1'),
      'message-id:a\rb\ndestination:/topic/a\\cb\ncontent-length:0\n\n\0',
    );
  });

  it.each([
    ['1.2', undefined, 'MESSAGE\nsubscription:sub\\c0\n'],
    ['1.2', 'ack\\1', 'MESSAGE\nsubscription:sub\\c0\nack:ack\\\\1\n'],
    ['1.1', undefined, 'MESSAGE\nsubscription:sub\\c0\n'],
    ['1.0', 'ack:1', 'MESSAGE\nsubscription:sub:0\nack:ack:1\n'],
  ] as const)('prepends the delivery head under %s with ack %j', (version, ack, head) => {
    const tail = encodeMessageTail(fields(), version);
    expectWire(encodeMessage(tail, 'sub:0', ack, version), bytes(head, tail));
  });

  it.each(['1.2', '1.1', '1.0'] as const)('produces a MESSAGE that decodes to its fields under %s', (version: StompVersion) => {
    const tail = encodeMessageTail(fields({ headers: [['custom', 'v']] }), version);
    const got = decodeAll([encodeMessage(tail, 's-1', 'a-1', version)], undefined, version, SERVER_COMMANDS);
    expect(got.frames).toEqual([
      frame(
        'MESSAGE',
        [
          ['subscription', 's-1'],
          ['ack', 'a-1'],
          ['message-id', 'm-1'],
          ['destination', '/topic/a:b'],
          ['content-type', 'text/plain;charset=UTF-8'],
          ['content-length', '3'],
          ['custom', 'v'],
        ],
        'h\u00e9',
      ),
    ]);
  });
});

describe('encode then decode', () => {
  it.each(['1.2', '1.1'] as const)('returns the same headers and body under %s, cut anywhere', (version) => {
    const headers: Array<[string, string]> = [
      ['destination', '/queue/a:b'],
      ['we\\ird:name', 'multi\nline\\value:'],
      ['\u00fcnicode', '\u65e5\u672c\u{1f600}'],
    ];
    const body = Uint8Array.of(0, 0x0a, 0x0d, 0xff, 0);
    const encoded = encodeFrame('SEND', headers, body, version);
    const expected = [frame('SEND', [...headers, ['content-length', '5']], body)];
    for (const chunks of splitEverywhere(encoded)) expect(decodeAll(chunks, undefined, version).frames).toEqual(expected);
  });

  it('returns the same CONNECT headers with no escaping', () => {
    const headers: Array<[string, string]> = [['login', 'a\\b'], ['passcode', 'p:w']];
    expect(decodeAll([encodeFrame('CONNECT', headers)]).frames).toEqual([frame('CONNECT', headers)]);
  });
});

describe('encodeMessageFrame', () => {
  const { encodeMessage, encodeMessageFrame, encodeMessageTail, messageTailHead } = require('../../broker/stomp/encoder') as typeof import('../../broker/stomp/encoder');
  const text = new TextDecoder();
  const fields = (body: Uint8Array) => ({ messageId: 'm-1', destination: '/topic/ü:x', contentType: 'text/plain', headers: [['x-ä', 'v\n1'] as const], body });

  it.each(['1.2', '1.1', '1.0'] as const)('produces the same bytes as tail plus head under %s, multi-byte headers included', (version) => {
    const body = new TextEncoder().encode('héllo 😀');
    const m = fields(body);
    const whole = encodeMessageFrame(messageTailHead(m, version), body, 'sub-ü', 'a1', version);
    expect(text.decode(whole)).toBe(text.decode(encodeMessage(encodeMessageTail(m, version), 'sub-ü', 'a1', version)));
    expect(whole[whole.length - 1]).toBe(0);
  });

  it('encodes a lone surrogate in a header the way TextEncoder does', () => {
    const body = new Uint8Array([1, 0, 2]);
    const m = { ...fields(body), destination: '/topic/\ud800x' };
    const whole = encodeMessageFrame(messageTailHead(m, '1.2'), body, 's', undefined, '1.2');
    expect(Array.from(whole)).toEqual(Array.from(encodeMessage(encodeMessageTail(m, '1.2'), 's', undefined, '1.2')));
  });

  it('sizes a non-ASCII head exactly when the body leaves less room than its extra bytes', () => {
    // A first write sized by characters can stop exactly at the head's length when a multi-byte
    // character does not fit: e.g. four 'é' at the end of the last header and an empty body.
    for (const value of ['é', 'éé', 'ééé', 'éééé', 'ééééé', '日本', '日本語', '😀', '😀😀']) {
      for (const size of [0, 1, 2, 3, 4]) {
        const body = new Uint8Array(size).fill(0x61);
        const m = { ...fields(body), headers: [['x', value] as const] };
        const whole = encodeMessageFrame(messageTailHead(m, '1.2'), body, 's', undefined, '1.2');
        expect(Array.from(whole)).toEqual(Array.from(encodeMessage(encodeMessageTail(m, '1.2'), 's', undefined, '1.2')));
      }
    }
  });
});
