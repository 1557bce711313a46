import { DestinationPattern } from '../../broker/destinations/destination-pattern';

const p = (s: string): DestinationPattern => new DestinationPattern(s);

describe('DestinationPattern.overlaps', () => {
  it.each([
    ['/a/{x}', '/a/*'],
    ['/a/{x}', '/{y}/b'],
    ['/a/**', '/a/b/c'],
    ['/a/**', '/a'],
    ['/**', '/x/{y}/z'],
    ['/a/**/z', '/a/b/**'],
  ])('finds a destination matched by both %s and %s', (a, b) => {
    expect(p(a).overlaps(p(b))).toBe(true);
    expect(p(b).overlaps(p(a))).toBe(true);
  });

  it.each([
    ['/a/{x}', '/b/*'],
    ['/a/{x}', '/a/{x}/c'],
    ['/a/**/z', '/a/b/y'],
    ['/a/b', '/a/c'],
  ])('finds no destination matched by both %s and %s', (a, b) => {
    expect(p(a).overlaps(p(b))).toBe(false);
    expect(p(b).overlaps(p(a))).toBe(false);
  });
});

describe('DestinationPattern.match', () => {
  it.each([
    ['/topic/a', '/topic/a', {}],
    ['/topic/a', '/topic/b', undefined],
    ['/topic/*', '/topic/a', {}],
    ['/topic/*', '/topic/', {}],
    ['/topic/*', '/topic', undefined],
    ['/topic/*', '/topic/a/b', undefined],
    ['/chat/{room}/messages', '/chat/lobby/messages', { room: 'lobby' }],
    ['/chat/{room}/messages', '/chat/lobby/x/messages', undefined],
    ['/chat/{room}', '/chat/zhang%20san', { room: 'zhang san' }],
    ['/**', '/', {}],
    ['/**', '/a/b/c', {}],
    ['/**/z', '/z', {}],
    ['/**/z', '/a/b/z', {}],
    ['/**/z', '/a/b/y', undefined],
    ['/a/**/z', '/a/z', {}],
    ['/a/**/z', '/a/b/c/z', {}],
    ['/a/**/z', '/a/b/c/y', undefined],
    ['/a/**', '/a', {}],
    ['/a/**', '/ab', undefined],
    ['/a/**/{x}', '/a/b/c/d', { x: 'd' }],
    ['/{x}/**', '/a/b/c', { x: 'a' }],
    ['/a/**/b/**/c', '/a/b/c', {}],
    ['/a/**/b/**/c', '/a/x/b/y/b/c', {}],
    ['/a/**/b/**/c', '/a/c/b', undefined],
    ['/a/**/**/z', '/a/z', {}],
    ['/a/**/{x}/**/z', '/a/1/2/z', { x: '1' }],
  ])('%s against %s gives %j', (pattern, destination, params) => {
    const got = p(pattern).match(destination);
    expect(got === undefined ? undefined : { ...got }).toEqual(params);
    expect(p(pattern).test(destination)).toBe(params !== undefined);
  });

  it('answers a malformed percent-escape in a captured segment with INVALID_DESTINATION', () => {
    expect(() => p('/chat/{room}').match('/chat/%E0%A4')).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_DESTINATION' }));
  });

  it('matches 12 separate ** against 64 segments in a number of steps linear in the segments', () => {
    const pattern = p(`/x${'/**/a'.repeat(11)}/**/z`); // 12 **, none adjacent
    const miss = `/x${'/a'.repeat(63)}`; // no z at the end: a backtracking matcher tries ~C(63, 12) splits
    const hit = `/x${'/a'.repeat(62)}/z`;
    for (const [destination, expected] of [[miss, false], [hit, true]] as const) {
      const meter = { steps: 0 };
      expect(pattern.test(destination, meter)).toBe(expected);
      expect(meter.steps).toBeLessThanOrEqual(2 * 66);
    }
  });

  it('refuses a pattern that does not start with "/" or passes a limit, naming it', () => {
    expect(() => p('topic/*')).toThrow(/must start with "\/"/);
    expect(() => p(`/a${'/*'.repeat(40)}`)).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION' }));
  });

  it('knows literal patterns, variables, specificity and the literal prefix', () => {
    expect(p('/a/b').literal).toBe(true);
    expect(p('/a/{x}/{y}').variables).toEqual(['x', 'y']);
    expect(p('/a/b').specificity).toBeLessThan(p('/a/*').specificity);
    expect(p('/a/*').specificity).toBeLessThan(p('/a/**').specificity);
    expect(p('/topic/a/**').literalPrefix()).toBe('/topic/a');
    expect(p('/**').literalPrefix()).toBe('');
  });
});

describe('DestinationPattern.contains', () => {
  it.each([
    ['/topic/**', '/topic/**'],
    ['/topic/**', '/topic/a/*'],
    ['/topic/**', '/topic/**/x'],
    ['/topic/**', '/topic'],
    ['/topic/*', '/topic/{x}'],
    ['/**', '/x/**/y'],
    ['/a/*/**', '/a/**/*'],
    ['/a/**/z', '/a/*/z'],
    ['/a/**/b/**', '/a/b/**/b/**'],
  ])('%s contains %s', (outer, inner) => {
    expect(p(outer).contains(p(inner))).toBe(true);
  });

  it.each([
    ['/topic/private/**', '/topic/**'],
    ['/topic/*', '/topic/**'],
    ['/topic/*/secret', '/topic/**'],
    ['/topic/a/**', '/topic/*/b'],
    ['/a/**/z', '/a/**'],
    ['/a/b', '/a/*'],
  ])('%s does not contain %s', (outer, inner) => {
    expect(p(outer).contains(p(inner))).toBe(false);
  });
});
