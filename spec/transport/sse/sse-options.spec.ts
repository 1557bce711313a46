import { HTTP_PUBLISH_DEFAULTS, resolveOptions, silentLogger, SSE_DEFAULTS, StompError, type StompServerOptions } from '../../../broker';

const resolve = (options: StompServerOptions) => resolveOptions(options, silentLogger);

function refusal(options: StompServerOptions): StompError {
  try {
    resolve(options);
  } catch (err) {
    return err as StompError;
  }
  throw new Error('resolved');
}

describe('sse and httpPublish options', () => {
  it.each<[string, unknown]>([
    ['path', '/sse'],
    ['heartbeat', 25000],
    ['retry', 3000],
  ])('resolve sse.%s to %p with sse: true', (name, expected) => {
    const sse = resolve({ sse: true }).sse;
    expect(sse === false ? undefined : (sse as Record<string, unknown>)[name]).toEqual(expected);
    expect((SSE_DEFAULTS as Record<string, unknown>)[name]).toEqual(expected);
  });

  it('resolve httpPublish.path to /publish and leave the token unset', () => {
    expect(resolve({ httpPublish: { token: 'a-long-token' } }).httpPublish).toEqual({ path: '/publish', token: 'a-long-token' });
    expect(HTTP_PUBLISH_DEFAULTS).toEqual({ path: '/publish', token: undefined });
  });

  it('keep the defaults of fields not given, and freeze the result', () => {
    const o = resolve({ sse: { path: '/events' }, httpPublish: { path: '/api/publish', token: 'a-long-token' } });
    expect(o.sse).toEqual({ path: '/events', heartbeat: 25000, retry: 3000 });
    expect(Object.isFrozen(o.sse)).toBe(true);
    expect(Object.isFrozen(o.httpPublish)).toBe(true);
    expect(Object.isFrozen(SSE_DEFAULTS)).toBe(true);
  });

  it.each<[string, StompServerOptions]>([
    ['sse', { sse: 'on' as never }],
    ['sse.path', { sse: { path: 'sse' } }],
    ['sse.path', { sse: { path: '/sse/' } }],
    ['sse.path', { sse: { path: '/sse?x=1' } }],
    ['sse.heartbeat', { sse: { heartbeat: 30000 } }],
    ['sse.heartbeat', { sse: { heartbeat: 50 } }],
    ['sse.heartbeat', { sse: { heartbeat: 1.5 } }],
    ['sse.retry', { sse: { retry: -1 } }],
    ['httpPublish', { httpPublish: 'yes' as never }],
    ['httpPublish.path', { httpPublish: { path: 'publish', token: 'a-long-token' } }],
    ['httpPublish.token', { httpPublish: { token: 'short' } }],
    ['httpPublish.token', { httpPublish: { token: 'has a space' } }],
    ['httpPublish.token', { httpPublish: { token: 42 as never } }],
  ])('refuse a bad %s with STOMP_ERR_INVALID_OPTION naming it', (name, options) => {
    const err = refusal(options);
    expect(err).toBeInstanceOf(StompError);
    expect(err.code).toBe('STOMP_ERR_INVALID_OPTION');
    expect(err.message).toContain(`"${name}"`);
  });

  it('never show a refused token in the message', () => {
    expect(refusal({ httpPublish: { token: 'short' } }).message).not.toContain('short');
  });
});
