import { isStompError } from '../../broker/errors';
import {
  checkDestination,
  decodeSegment,
  DESTINATION_LIMITS,
  encodeSegment,
  isPattern,
  parseSegments,
  segmentCount,
  segmentKind,
  shapeOf,
  SUBSCRIBE_CONTEXT,
} from '../../broker/destinations/segments';

/** The StompError `fn` throws; fails the test when it throws nothing or something else. */
function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (!isStompError(err)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a StompError');
}

const text = (source: string): string => parseSegments(source).map((s) => (s.kind === 'variable' ? `{${s.text}}` : s.text)).join('/');
const shape = (source: string): string => shapeOf(parseSegments(source)).map((s) => s.text).join('/');

describe('segment kinds', () => {
  it.each([
    ['*', 'star'],
    ['**', 'globstar'],
    ['{room}', 'variable'],
    ['{}', 'variable'],
    ['{a-b}', 'variable'],
    ['a*', 'literal'],
    ['***', 'literal'],
    ['pre{x}', 'literal'],
    ['{a', 'literal'],
    ['', 'literal'],
  ])('reads %j as %s', (segment, kind) => {
    expect(segmentKind(segment)).toBe(kind);
  });

  it('tells patterns from literal destinations by whole segments', () => {
    expect(isPattern('/topic/*')).toBe(true);
    expect(isPattern('/topic/{x}/y')).toBe(true);
    expect(isPattern('/topic/a*b')).toBe(false);
    expect(isPattern('/topic/{a/b}')).toBe(false);
  });

  it('counts the segments after the first', () => {
    expect(segmentCount('/a/b')).toBe(2);
    expect(segmentCount('/')).toBe(1);
    expect(segmentCount('a')).toBe(0);
  });
});

describe('parsing and normalization', () => {
  it('collapses runs of ** into one', () => {
    expect(text('/x/**/**/**/**/**/**/**/**/**/x')).toBe('/x/**/x');
    expect(text('/a/**/**')).toBe('/a/**');
    expect(text('/**/**/a/**/b')).toBe('/**/a/**/b');
  });

  it('keeps variables where they were written', () => {
    expect(text('/a/**/{x}/*')).toBe('/a/**/{x}/*');
  });

  it('gives patterns matching the same destinations the same shape', () => {
    expect(shape('/a/**/*')).toBe(shape('/a/*/**'));
    expect(shape('/a/**/{x}/**/*/b')).toBe('/a/*/*/**/b');
    expect(shape('/a/{x}')).toBe(shape('/a/*'));
  });

  it('refuses a variable named twice', () => {
    expect(thrown(() => parseSegments('/a/{x}/{x}')).message).toMatch(/repeats the variable \{x\}/);
  });
});

describe('limits', () => {
  it(`allows ${DESTINATION_LIMITS.maxPatternSegments} segments in a pattern and refuses one more`, () => {
    const pattern = (n: number): string => `/**${'/a'.repeat(n - 1)}`;
    expect(() => parseSegments(pattern(DESTINATION_LIMITS.maxPatternSegments), SUBSCRIBE_CONTEXT)).not.toThrow();
    const err = thrown(() => parseSegments(pattern(DESTINATION_LIMITS.maxPatternSegments + 1), SUBSCRIBE_CONTEXT));
    expect(err.code).toBe('STOMP_ERR_INVALID_DESTINATION');
    expect(err.message).toContain(`has ${DESTINATION_LIMITS.maxPatternSegments + 1} segments; at most ${DESTINATION_LIMITS.maxPatternSegments}`);
  });

  it(`allows ${DESTINATION_LIMITS.maxGlobstars} separate ** in a pattern and refuses one more`, () => {
    const pattern = (n: number): string => '/a/**'.repeat(n);
    expect(() => parseSegments(pattern(DESTINATION_LIMITS.maxGlobstars))).not.toThrow();
    const err = thrown(() => parseSegments(pattern(DESTINATION_LIMITS.maxGlobstars + 1)));
    expect(err.code).toBe('STOMP_ERR_INVALID_OPTION');
    expect(err.message).toContain(`"**" segments; at most ${DESTINATION_LIMITS.maxGlobstars}`);
  });

  it('counts a run of ** once', () => {
    expect(() => parseSegments(`/a${'/**'.repeat(DESTINATION_LIMITS.maxPatternSegments)}`)).not.toThrow();
  });

  it(`allows ${DESTINATION_LIMITS.maxSegments} segments in a destination and refuses one more`, () => {
    expect(() => checkDestination('SEND', '/a'.repeat(DESTINATION_LIMITS.maxSegments))).not.toThrow();
    const err = thrown(() => checkDestination('SEND', '/a'.repeat(DESTINATION_LIMITS.maxSegments + 1)));
    expect(err).toEqual({ code: 'STOMP_ERR_INVALID_DESTINATION', message: `SEND destination has ${DESTINATION_LIMITS.maxSegments + 1} segments; at most ${DESTINATION_LIMITS.maxSegments} are allowed` });
  });

  it('applies the pattern limits to a pattern SUBSCRIBE and the destination limit to an exact one', () => {
    expect(thrown(() => checkDestination('SUBSCRIBE', `/a${'/*'.repeat(40)}`)).code).toBe('STOMP_ERR_INVALID_DESTINATION');
    expect(() => checkDestination('SUBSCRIBE', '/a'.repeat(100))).not.toThrow();
    expect(() => checkDestination('SEND', `/a${'/*'.repeat(100)}`)).not.toThrow(); // a SEND is never a pattern
  });
});

describe('percent-escapes', () => {
  it('decodes a segment', () => {
    expect(decodeSegment('zhang%20san', '/d')).toBe('zhang san');
    expect(decodeSegment('plain', '/d')).toBe('plain');
  });

  it.each(['%ZZ', '%', '%E0%A4', 'a%2'])('answers INVALID_DESTINATION for the malformed escape %j, never a URIError', (segment) => {
    const err = thrown(() => decodeSegment(segment, `/user/${segment}/x`));
    expect(err.code).toBe('STOMP_ERR_INVALID_DESTINATION');
    expect(err.message).toContain('malformed percent-escape');
  });

  it.each(['*', '**', '{x}', 'a/b', 'zhang san', '%2A'])('encodes the name %j as one literal segment that decodes back', (name) => {
    const encoded = encodeSegment(name);
    expect(segmentKind(encoded)).toBe('literal');
    expect(encoded).not.toContain('/');
    expect(encoded).not.toContain('*');
    expect(decodeSegment(encoded, '/d')).toBe(name);
  });
});

describe('variables of subscriptions', () => {
  it('allows a repeated name where nothing is captured', () => {
    expect(parseSegments('/topic/{v}/{v}', SUBSCRIBE_CONTEXT).map((s) => s.kind)).toEqual(['literal', 'literal', 'variable', 'variable']);
  });
});
