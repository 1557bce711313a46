/**
 * Skip reasons of the whole run. A spec that cannot run here (a service or tool is missing)
 * calls {@link recordSkip}: the reason is printed in that file's output and appended to the
 * run's skip log, which spec/support/skip-reporter.js prints again, all together, after the
 * last test, so no reason is lost in the scroll of a full `npm test`.
 */
import { appendFileSync } from 'node:fs';

/** Env var naming the run's skip log (set by spec/support/global-setup.ts). */
export const SKIP_LOG_ENV = 'STOMPBOX_SKIP_LOG';

/** Prints and records that `suite` is skipped because of `reason`. */
export function recordSkip(suite: string, reason: string): void {
  console.warn(`Skipping ${suite}: ${reason}`);
  const log = process.env[SKIP_LOG_ENV];
  if (log !== undefined && log !== '') appendFileSync(log, `${JSON.stringify({ suite, reason })}\n`);
}
