import { DEFAULT_SELECTOR_LIMITS, resolveSelectorLimits } from '../../broker/selectors/selector-limits';

describe('resolveSelectorLimits', () => {
  it('defaults maxLength to 4096 bytes', () => {
    expect(resolveSelectorLimits().maxLength).toBe(4096);
  });

  it('defaults maxDepth to 100 levels', () => {
    expect(resolveSelectorLimits().maxDepth).toBe(100);
  });

  it('lays given limits over the defaults and freezes the result', () => {
    const limits = resolveSelectorLimits({ maxDepth: 10 });
    expect(limits).toEqual({ maxLength: 4096, maxDepth: 10 });
    expect(Object.isFrozen(limits)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SELECTOR_LIMITS)).toBe(true);
  });

  it.each([
    [{ maxLength: 0 }, 'maxLength'],
    [{ maxLength: 65537 }, 'maxLength'],
    [{ maxLength: 1.5 }, 'maxLength'],
    [{ maxDepth: 1001 }, 'maxDepth'],
    [{ maxDepth: Number.NaN }, 'maxDepth'],
    [{ maxDepth: '10' as unknown as number }, 'maxDepth'],
  ])('refuses %j, naming %s', (limits, name) => {
    expect(() => resolveSelectorLimits(limits)).toThrow(expect.objectContaining({ code: 'STOMP_ERR_INVALID_OPTION', message: expect.stringContaining(`"${name}"`) }));
  });
});
