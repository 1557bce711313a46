import { andThen, isPromiseLike } from '../broker/value-or-promise';

describe('isPromiseLike', () => {
  it('is true for a promise and for a thenable of another library', () => {
    expect(isPromiseLike(Promise.resolve(1))).toBe(true);
    const thenable = { then: (resolve: (v: number) => void) => resolve(1) } as unknown as Promise<number>;
    expect(isPromiseLike(thenable)).toBe(true);
  });

  it('is false for values, undefined and null', () => {
    for (const value of [1, 'x', undefined, null, { then: 1 }, true]) expect(isPromiseLike(value)).toBe(false);
  });
});

describe('andThen', () => {
  it('continues at once after a value, in the same turn', () => {
    let seen: number | undefined;
    const out = andThen(2, (v) => {
      seen = v;
      return v * 3;
    });
    expect(seen).toBe(2);
    expect(out).toBe(6);
  });

  it('continues after a promise settles and returns the chained promise', async () => {
    const out = andThen(Promise.resolve(2), (v) => v * 3);
    expect(isPromiseLike(out)).toBe(true);
    await expect(out).resolves.toBe(6);
  });

  it('waits for a thenable that is not a native promise', async () => {
    const thenable = { then: (resolve: (v: number) => void) => setImmediate(() => resolve(5)) } as unknown as Promise<number>;
    const out = andThen(thenable, (v) => v + 1);
    expect(out).toBeInstanceOf(Promise);
    await expect(out).resolves.toBe(6);
  });

  it('passes a rejection through without calling next', async () => {
    const next = jest.fn();
    await expect(andThen(Promise.reject(new Error('no')), next)).rejects.toThrow('no');
    expect(next).not.toHaveBeenCalled();
  });
});
