import type { MatchMeter } from '../../broker/destinations/destination-pattern';
import { findBadEscape, LikePattern } from '../../broker/selectors/like-pattern';

const like = (pattern: string, value: string, escape?: string): boolean => new LikePattern(pattern, escape).matches(value);

describe('LikePattern', () => {
  it.each([
    ['12%3', ['123', '12993', '12a3'], ['1234', '12', '2123']],
    ['l_se', ['lose', 'l_se'], ['loose', 'lse']],
    ['%', ['', 'anything'], []],
    ['%%', ['', 'x'], []],
    ['', [''], ['a']],
    ['abc', ['abc'], ['ab', 'abcd', 'ABC']],
    ['ab%', ['ab', 'abc'], ['a', 'xab']],
    ['%ab', ['ab', 'xxab'], ['abx']],
    ['%ab%', ['ab', 'xabx', 'aab'], ['a', 'ba']],
    ['a%b%c', ['abc', 'aXbYc', 'abbc', 'acbc'], ['acb', 'ab', 'bc']],
    ['_', ['a', '😀', 'é'], ['', 'ab']],
    ['%_%_%', ['ab', 'abc'], ['a', '']],
    ['a_%_b', ['axyb', 'axxxyb'], ['axb', 'ab']],
    ['%a_c%', ['abc', 'zzabczz', 'aabc'], ['ac', 'abbc']],
    ['.*+?[]^$\\', ['.*+?[]^$\\'], ['x']],
  ])('matches %j against the values it should, and only those', (pattern, yes, no) => {
    for (const value of yes) expect([value, like(pattern, value)]).toEqual([value, true]);
    for (const value of no) expect([value, like(pattern, value)]).toEqual([value, false]);
  });

  it('takes the escape character before %, _ and itself as literal', () => {
    expect(like('\\_%', '_foo', '\\')).toBe(true);
    expect(like('\\_%', 'bar', '\\')).toBe(false);
    expect(like('100!%', '100%', '!')).toBe(true);
    expect(like('100!%', '1000', '!')).toBe(false);
    expect(like('a!!b', 'a!b', '!')).toBe(true);
    expect(like('%!_%', 'nounderscore', '!')).toBe(false);
    expect(like('%!_%', 'has_one', '!')).toBe(true);
    expect(like('x%%', 'x%', '%')).toBe(true); // the escape may be % itself
    expect(like('x%%', 'xy', '%')).toBe(false);
  });

  it('treats characters outside the BMP as one character each', () => {
    expect(like('😀_😀', '😀x😀')).toBe(true);
    expect(like('%😀', 'ab😀')).toBe(true);
    expect(like('_😀_', '😀😀😀')).toBe(true);
    expect(like('__', '😀')).toBe(false);
  });

  it('finds a bad escape: one before anything but %, _ or itself, or at the end', () => {
    expect(findBadEscape('a!b', '!')).toBe(1);
    expect(findBadEscape('ab!', '!')).toBe(2);
    expect(findBadEscape('!%!_!!x', '!')).toBe(-1);
    expect(findBadEscape('a!b', undefined)).toBe(-1);
    expect(findBadEscape('😀!😀', '!')).toBe(2);
  });

  it('matches patterns longer than one word of states', () => {
    const long = `${'a_'.repeat(40)}%${'b'.repeat(40)}`; // 120 items: 4 words
    expect(like(long, `${'ax'.repeat(40)}zzz${'b'.repeat(40)}`)).toBe(true);
    expect(like(long, `${'ax'.repeat(40)}zzz${'b'.repeat(39)}`)).toBe(false);
    const rare = Array.from({ length: 100 }, (_, i) => String.fromCharCode(0x4e00 + i)).join(''); // 100 distinct characters: place lists
    expect(like(`%${rare}%`, `xx${rare}yy`)).toBe(true);
    expect(like(`%${rare}%`, `xx${rare.slice(0, 99)}yy`)).toBe(false);
  });
});

describe('LikePattern bounds', () => {
  const meter = (): MatchMeter => ({ steps: 0 });

  it("matches '%a%a%a…%b' against 8 KiB of 'a' in one pass (a backtracking regex takes forever)", () => {
    const pattern = `${'%a'.repeat(30)}%b`;
    const value = 'a'.repeat(8192);
    const m = meter();
    expect(new LikePattern(pattern).matches(value, m)).toBe(false);
    expect(m.steps).toBeLessThanOrEqual(value.length); // 31 items: one word per character
  });

  it('spends at most characters × ⌈(items + 1) / 32⌉ word operations on the longest pattern', () => {
    const pattern = `${'%a'.repeat(2040)}%b`; // 4082 bytes, 2041 items: 64 words
    const value = 'a'.repeat(8192);
    const m = meter();
    expect(new LikePattern(pattern).matches(value, m)).toBe(false);
    expect(m.steps).toBeLessThanOrEqual(value.length * Math.ceil(2042 / 32));
    const m2 = meter();
    expect(new LikePattern(pattern).matches(`${value}b`, m2)).toBe(true);
    expect(m2.steps).toBeLessThanOrEqual((value.length + 1) * Math.ceil(2042 / 32));
  });

  it('stops as soon as no state is alive, or the pattern ends in % and has matched', () => {
    const m = meter();
    expect(new LikePattern('a_b%c').matches(`x${'a'.repeat(5000)}`, m)).toBe(false);
    expect(m.steps).toBe(1);
    const m2 = meter();
    expect(new LikePattern('%ab_%').matches(`ab${'c'.repeat(5000)}`, m2)).toBe(true);
    expect(m2.steps).toBe(3);
  });

  it('refuses a value shorter than the pattern without reading it', () => {
    const m = meter();
    expect(new LikePattern('%a_b_c%').matches('ab', m)).toBe(false);
    expect(m.steps).toBe(0);
  });
});
