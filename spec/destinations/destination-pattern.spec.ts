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
