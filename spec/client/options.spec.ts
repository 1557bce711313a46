import { CLIENT_DEFAULTS, ClientError, decodeBody, encodeBody, resolveClientOptions } from '../../client';

describe('resolveClientOptions', () => {
  it('applies every default and freezes the result', () => {
    const o = resolveClientOptions({ url: 'ws://127.0.0.1/stomp' });
    expect(o).toMatchObject({
      transport: 'auto',
      heartbeat: [10000, 10000],
      connectTimeout: 10000,
      reconnect: { initialDelay: 500, maxDelay: 30000, factor: 2, jitter: 0.3 },
      timeout: 10000,
      replyQueue: '/user/queue/reply',
      errorQueue: '/user/queue/errors',
      sockjsTransports: undefined,
      connectHeaders: {},
    });
    expect(o.heartbeat).toEqual(CLIENT_DEFAULTS.heartbeat);
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.reconnect)).toBe(true);
  });

  it('turns reconnection off with reconnect: false', () => {
    expect(resolveClientOptions({ url: 'ws://h/s', reconnect: false }).reconnect).toBe(false);
  });

  it.each([
    ['url', { url: '' }],
    ['transport', { url: 'ws://h/s', transport: 'carrier-pigeon' }],
    ['heartbeat', { url: 'ws://h/s', heartbeat: [1000] }],
    ['connectTimeout', { url: 'ws://h/s', connectTimeout: 0 }],
    ['timeout', { url: 'ws://h/s', timeout: -1 }],
    ['reconnect.factor', { url: 'ws://h/s', reconnect: { factor: 0.5 } }],
    ['reconnect.jitter', { url: 'ws://h/s', reconnect: { jitter: 2 } }],
    ['reconnect.maxDelay', { url: 'ws://h/s', reconnect: { initialDelay: 1000, maxDelay: 10 } }],
    ['sockjsTransports', { url: 'ws://h/s', sockjsTransports: 'xhr-streaming' }],
    ['replyQueue', { url: 'ws://h/s', replyQueue: 'reply' }],
    ['errorQueue', { url: 'ws://h/s', errorQueue: 'errors' }],
  ])('throws CLIENT_ERR_INVALID_OPTION naming %s', (name, options) => {
    let thrown: unknown;
    try {
      resolveClientOptions(options as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ClientError);
    expect(thrown).toMatchObject({ code: 'CLIENT_ERR_INVALID_OPTION' });
    expect((thrown as Error).message).toContain(`"${name}"`);
  });
});

describe('body codec', () => {
  it('encodes objects as JSON, strings as text and bytes as octets; a given content-type wins', () => {
    expect(encodeBody({ a: 1 })).toEqual({ text: '{"a":1}', contentType: 'application/json' });
    expect(encodeBody('hi')).toEqual({ text: 'hi', contentType: 'text/plain;charset=UTF-8' });
    expect(encodeBody(new Uint8Array([1, 2]))).toEqual({ binary: new Uint8Array([1, 2]), contentType: 'application/octet-stream' });
    expect(encodeBody(new Uint8Array([1]).buffer)).toEqual({ binary: new Uint8Array([1]), contentType: 'application/octet-stream' });
    expect(encodeBody('<a/>', 'application/xml')).toEqual({ text: '<a/>', contentType: 'application/xml' });
  });

  it('decodes by content-type: JSON parsed, text as a string, other types as bytes', () => {
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(decodeBody(bytes('{"a":[1]}'), 'application/json;charset=UTF-8')).toEqual({ a: [1] });
    expect(decodeBody(bytes('{"a":1}'), 'application/vnd.thing+json')).toEqual({ a: 1 });
    expect(decodeBody(bytes('{"a":1}'), 'text/plain')).toBe('{"a":1}');
    expect(decodeBody(bytes('[1,2]'), undefined)).toEqual([1, 2]);
    expect(decodeBody(bytes('plain'), undefined)).toBe('plain');
    expect(decodeBody(bytes('not json'), 'application/json')).toBe('not json');
    expect(decodeBody(new Uint8Array([0, 255]), 'application/octet-stream')).toEqual(new Uint8Array([0, 255]));
  });
});
