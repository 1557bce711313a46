import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { recordSkip } from '../support/skips';

/** Where Debian's `chromium` package puts the browser. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a headless Chromium that stays on 127.0.0.1: no first-run UI, no update or sync
 * traffic, no QUIC, no GPU, no sandbox (tests run as root in containers).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The outcome of looking for Chromium: a path, or why there is none. */
export type ChromiumLookup = { path: string } | { path: undefined; reason: string };

/** Finds Chromium: env `CHROMIUM_PATH` first, else {@link DEFAULT_CHROMIUM_PATH}. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const wanted = env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  if (existsSync(wanted)) return { path: wanted };
  const via = env.CHROMIUM_PATH ? 'CHROMIUM_PATH' : 'the default path';
  return {
    path: undefined,
    reason: `no Chromium at ${wanted} (${via}); install Debian's chromium package or set CHROMIUM_PATH`,
  };
}

/** True when running under CI, where browser tests must run and never skip. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Whether browser tests can run here, decided once at module load so a spec can pick
 * `describe` or `describe.skip` before jest collects tests.
 * @throws Error under CI when Chromium is missing: CI must run the browser tests.
 */
export function browserAvailability(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const found = findChromium(env);
  if (found.path === undefined && isCI(env)) {
    throw new Error(`CI is set and browser tests cannot run: ${found.reason}`);
  }
  return found;
}

/** A launched browser, or `undefined` with the reason there is none. */
export type LaunchResult = { browser: Browser; reason?: undefined } | { browser: undefined; reason: string };

/**
 * Launches headless Chromium through playwright-core, never letting it download a browser.
 * @throws Error under CI when Chromium is missing.
 */
export async function launchBrowser(env: NodeJS.ProcessEnv = process.env): Promise<LaunchResult> {
  const found = browserAvailability(env);
  if (found.path === undefined) return { browser: undefined, reason: found.reason };
  const browser = await chromium.launch({
    executablePath: found.path,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  return { browser };
}

/**
 * `describe` when Chromium is present, else `describe.skip` after printing why, so a skipped
 * browser suite still shows in jest's report (as skipped) and its reason in the log.
 */
export function describeWithBrowser(lookup: ChromiumLookup = browserAvailability()): jest.Describe {
  if (lookup.path !== undefined) return describe;
  recordSkip('browser tests', lookup.reason);
  return describe.skip;
}
