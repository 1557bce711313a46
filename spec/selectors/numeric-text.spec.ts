import { booleanValue, numericValue } from '../../broker/selectors/numeric-text';

describe('numericValue', () => {
  it.each([
    ['42', 42], ['-7', -7], ['+3.5', 3.5], ['.5', 0.5], ['7.', 7], ['1e3', 1000], ['-2.5E-1', -0.25], ['007', 7], ['0', 0],
  ])('reads %j as %d', (text, value) => {
    expect(numericValue(text)).toBe(value);
  });

  it.each(['', ' 1', '1 ', '0x10', 'Infinity', 'NaN', '1e', '1e+', '.', '-', '+', '1.2.3', '1_000', '١', '1e999', '--1', 'e5'])(
    'reads no number in %j',
    (text) => {
      expect(numericValue(text)).toBeUndefined();
    },
  );

  it('reads an 8 KiB run of digits in one pass, to a finite value or none', () => {
    expect(numericValue('9'.repeat(300))).toBe(Number('9'.repeat(300)));
    expect(numericValue('9'.repeat(8192))).toBeUndefined(); // past the double range
    expect(numericValue(`${'1'.repeat(8191)}x`)).toBeUndefined();
  });
});

describe('booleanValue', () => {
  it('reads true and false in any case, and nothing else', () => {
    expect(['true', 'TRUE', 'True'].map(booleanValue)).toEqual([true, true, true]);
    expect(['false', 'FALSE', 'fAlSe'].map(booleanValue)).toEqual([false, false, false]);
    expect(['', 'yes', '1', 'tru', 'truee', ' true'].map(booleanValue)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
