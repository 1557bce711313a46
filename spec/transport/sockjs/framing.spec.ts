import { closeFrame, GO_AWAY_FRAME, ANOTHER_CONNECTION_FRAME, MessageFault, messageFrame, parseMessages, quote } from '../../../broker/transport/sockjs/framing';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('quote', () => {
  it('is JSON for plain text', () => {
    expect(quote('CONNECTED\nversion:1.2\n\n\0')).toBe('"CONNECTED\\nversion:1.2\\n\\n\\u0000"');
  });

  it('escapes the code points SockJS sends escaped: separators, zero-width and bidi controls, specials, surrogates', () => {
    expect(quote('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"');
    expect(quote('\u200d\u202e\u2060\ufff0\uffff')).toBe('"\\u200d\\u202e\\u2060\\ufff0\\uffff"');
    expect(quote('😀')).toBe('"\\ud83d\\ude00"');
    expect(JSON.parse(quote('é😀\u2028'))).toBe('é😀\u2028');
  });
});

describe('frames', () => {
  it('builds close frames, Go away and Another connection still open as sockjs-protocol has them', () => {
    expect(closeFrame(1000, 'STOMP_ERR_SLOW_CONSUMER')).toBe('c[1000,"STOMP_ERR_SLOW_CONSUMER"]');
    expect(GO_AWAY_FRAME).toBe('c[3000,"Go away!"]');
    expect(ANOTHER_CONNECTION_FRAME).toBe('c[2010,"Another connection still open"]');
  });

  it('puts a turn of frames in one a[...] frame, each frame one message', () => {
    expect(messageFrame([bytes('A\n\n\0'), bytes('B\n\n\0')])).toBe('a["A\\n\\n\\u0000","B\\n\\n\\u0000"]');
  });

  it('reuses the frame built for the same frames, as the sessions of a fan-out flush them', () => {
    const shared = [bytes('MESSAGE\n\nx\0')];
    const first = messageFrame(shared);
    expect(messageFrame([shared[0]])).toBe(first);
    expect(messageFrame([bytes('MESSAGE\n\ny\0')])).toBe('a["MESSAGE\\n\\ny\\u0000"]');
  });
});

describe('parseMessages', () => {
  it('takes a JSON array of strings', () => {
    expect(parseMessages('["a","b\\u0000"]', false)).toEqual(['a', 'b\0']);
    expect(parseMessages('[]', false)).toEqual([]);
  });

  it('takes a bare JSON string only where allowed (the websocket transport)', () => {
    expect(parseMessages('"a"', true)).toEqual(['a']);
    expect(parseMessages('"a"', false)).toBeInstanceOf(MessageFault);
  });

  it.each([
    ['[5]', 'element 0 is a number'],
    ['5', 'received a number'],
    ['[null]', 'element 0 is null'],
    ['[true]', 'element 0 is a boolean'],
    ['[{}]', 'element 0 is an object'],
    ['{"a":1}', 'received an object'],
    ['[["x"]]', 'element 0 is an array'],
    ['["ok",{"length":1e9}]', 'element 1 is an object'],
    ['null', 'received null'],
  ])('refuses %s naming what it found (%s), never echoing it', (text, what) => {
    const fault = parseMessages(text, true) as MessageFault;
    expect(fault).toBeInstanceOf(MessageFault);
    expect(fault.reason).toBe(`SockJS message must be a JSON array of strings; ${what}`);
    expect(fault.reply).toBe('Payload expected.');
  });

  it('refuses text that is not JSON, and empty text, with the answers SockJS gives', () => {
    expect(parseMessages('[broken', false)).toEqual(new MessageFault('SockJS message is not valid JSON', 'Broken JSON encoding.'));
    expect((parseMessages('', false) as MessageFault).reply).toBe('Payload expected.');
  });
});
