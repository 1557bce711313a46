import { Buffer } from 'node:buffer';
import { decodeEnvelope, encodeEnvelope, patternGlob } from '../../broker/cluster/cluster-message';
import { BrokerMessage } from '../../broker/messaging/broker-message';

describe('cluster envelopes', () => {
  it('carries destination, binary body, content type, headers, message id, origin, sequence and user', () => {
    const body = new Uint8Array([0, 0xff, 0x0a, 0x00, 0x80]);
    const message = new BrokerMessage('/topic/a', body, 'application/octet-stream', [['x-a', '1'], ['x-b', 'two:colon']], 'id-1');
    const env = decodeEnvelope(encodeEnvelope('node-1', 42, message, 'alice'))!;
    expect(env).toMatchObject({ origin: 'node-1', seq: 42, user: 'alice' });
    expect(env.message.destination).toBe('/topic/a');
    expect([...env.message.body]).toEqual([...body]);
    expect(env.message.contentType).toBe('application/octet-stream');
    expect(env.message.headers).toEqual([['x-a', '1'], ['x-b', 'two:colon']]);
    expect(env.message.messageId).toBe('id-1');
  });

  it('leaves out the user of broadcast messages and an absent content type', () => {
    const env = decodeEnvelope(encodeEnvelope('n', 1, new BrokerMessage('/topic/a', new Uint8Array(0), undefined)))!;
    expect(env.user).toBeUndefined();
    expect(env.message.contentType).toBeUndefined();
    expect(env.message.body).toHaveLength(0);
  });

  it('returns undefined for malformed data instead of throwing', () => {
    expect(decodeEnvelope(Buffer.from([0, 0]))).toBeUndefined();
    expect(decodeEnvelope(Buffer.from([0, 0, 0, 9, 0x7b]))).toBeUndefined();
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('abc')]);
    expect(decodeEnvelope(notJson)).toBeUndefined();
    const wrongShape = Buffer.from('{"o":1}');
    expect(decodeEnvelope(Buffer.concat([Buffer.from([0, 0, 0, wrongShape.length]), wrongShape]))).toBeUndefined();
  });
});

describe('patternGlob', () => {
  it('turns each one-segment wildcard or variable into a Redis glob star', () => {
    expect(patternGlob('/topic/*/price')).toBe('/topic/*/price');
    expect(patternGlob('/topic/{symbol}/price')).toBe('/topic/*/price');
  });

  it('lets ** take the slash before it, since ** also matches zero segments', () => {
    expect(patternGlob('/topic/**')).toBe('/topic*'); // matches /topic itself (the glob /topic/* did not)
    expect(patternGlob('/topic/a/**/z')).toBe('/topic/a*/z');
    expect(patternGlob('/**')).toBe('*');
    expect(patternGlob('/**/z')).toBe('*/z');
    expect(patternGlob('**/z')).toBe('*z');
  });

  it('collapses runs of wildcards into one star', () => {
    expect(patternGlob('/x/**/**/**/**/**/**/**/**/**/x')).toBe('/x*/x');
    expect(patternGlob('/a/**/*')).toBe('/a/*');
    expect(patternGlob('/a/*/**')).toBe('/a/*');
  });

  it.each([
    ['/topic/p/**', ['/topic/p', '/topic/p/a', '/topic/p/a/b']],
    ['/topic/a/**/z', ['/topic/a/z', '/topic/a/b/z', '/topic/a/b/c/z']],
    ['/**/z', ['/z', '/a/z', '/a/b/z']],
    ['/topic/*/x/**', ['/topic/a/x', '/topic/a/x/b']],
    ['/topic/a?b/[x]/**', ['/topic/a?b/[x]', '/topic/a?b/[x]/c']],
  ])('gives for %s a glob that every destination it matches matches', (pattern, destinations) => {
    const glob = globRegExp(patternGlob(pattern));
    for (const d of destinations) expect([d, glob.test(d)]).toEqual([d, true]);
  });

  it('escapes glob metacharacters in literal segments', () => {
    expect(patternGlob('/topic/a?b/[x]/*')).toBe('/topic/a\\?b/\\[x\\]/*');
    expect(patternGlob('/topic/a*b/*')).toBe('/topic/a\\*b/*');
  });
});

/** Redis's glob rules (`*` any run, `?` one character, `[...]`, `\\` escapes) as a RegExp, for the superset check. */
function globRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') out += glob[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
