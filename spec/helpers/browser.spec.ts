import {
  DEFAULT_CHROMIUM_PATH,
  browserAvailability,
  describeWithBrowser,
  findChromium,
  isCI,
  launchBrowser,
} from './browser';

const MISSING = '/nonexistent/stompbox/chromium';

describe('findChromium', () => {
  it('uses CHROMIUM_PATH when it names an existing file', () => {
    expect(findChromium({ CHROMIUM_PATH: process.execPath })).toEqual({ path: process.execPath });
  });

  it('explains a missing CHROMIUM_PATH, naming the path and the variable', () => {
    const found = findChromium({ CHROMIUM_PATH: MISSING });
    expect(found.path).toBeUndefined();
    expect(found.path === undefined && found.reason).toContain(`${MISSING} (CHROMIUM_PATH)`);
  });

  it('falls back to the Debian path without CHROMIUM_PATH', () => {
    const found = findChromium({});
    if (found.path === undefined) expect(found.reason).toContain(DEFAULT_CHROMIUM_PATH);
    else expect(found.path).toBe(DEFAULT_CHROMIUM_PATH);
  });
});

describe('isCI', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['', false],
    ['0', false],
    ['false', false],
    ['FALSE', false],
  ])('reads CI=%p as %p', (value, expected) => {
    expect(isCI({ CI: value })).toBe(expected);
  });

  it('is false when CI is unset', () => {
    expect(isCI({})).toBe(false);
  });
});

describe('browserAvailability', () => {
  it('throws under CI when Chromium is missing, so CI never skips browser tests', () => {
    expect(() => browserAvailability({ CI: 'true', CHROMIUM_PATH: MISSING })).toThrow(
      /CI is set and browser tests cannot run: no Chromium at \/nonexistent/,
    );
  });

  it('reports a reason instead of throwing outside CI', () => {
    const found = browserAvailability({ CHROMIUM_PATH: MISSING });
    expect(found.path).toBeUndefined();
  });

  it('launchBrowser resolves to no browser and the reason outside CI', async () => {
    const launched = await launchBrowser({ CHROMIUM_PATH: MISSING });
    expect(launched.browser).toBeUndefined();
    expect(launched.reason).toContain(MISSING);
  });

  it('launchBrowser rejects under CI when Chromium is missing', async () => {
    await expect(launchBrowser({ CI: 'true', CHROMIUM_PATH: MISSING })).rejects.toThrow(/CI is set/);
  });
});

describe('describeWithBrowser', () => {
  it('picks describe.skip and prints the reason when Chromium is missing', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const log = process.env.STOMPBOX_SKIP_LOG;
    delete process.env.STOMPBOX_SKIP_LOG; // a made-up absence: not a skip of this run
    try {
      const chosen = describeWithBrowser({ path: undefined, reason: 'no Chromium here' });
      expect(chosen).toBe(describe.skip);
      expect(warn).toHaveBeenCalledWith('Skipping browser tests: no Chromium here');
    } finally {
      if (log !== undefined) process.env.STOMPBOX_SKIP_LOG = log;
      warn.mockRestore();
    }
  });

  it('picks describe when Chromium is present', () => {
    expect(describeWithBrowser({ path: DEFAULT_CHROMIUM_PATH })).toBe(describe);
  });
});

describeWithBrowser()('launchBrowser with Chromium present', () => {
  it('launches headless Chromium that renders a page', async () => {
    const launched = await launchBrowser();
    if (launched.browser === undefined) throw new Error(launched.reason);
    const browser = launched.browser;
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="x">rendered</p>');
      expect(await page.textContent('#x')).toBe('rendered');
    } finally {
      await browser.close();
    }
  });
});
