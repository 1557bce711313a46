import { performance } from 'node:perf_hooks';
import type { LoadMessage } from './load-spec';

/** Sends `msg` to the runner over IPC (a no-op when run by hand). */
export function tell(msg: LoadMessage): void {
  process.send?.(msg);
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one measurement window counted. */
export interface Window {
  seconds: number;
  delivered: number;
  published: number;
  /** The load generator's CPU over the window, in cores. */
  cores: number;
}

/**
 * Waits out the warm-up, then measures `count()` and `pub()` over `measureMs`, telling the
 * runner when the window opens and closes so it samples the broker's CPU over the same span.
 */
export async function measureWindow(
  timing: { warmupMs: number; measureMs: number },
  count: () => number,
  pub: () => number,
  onStart?: () => void,
): Promise<Window> {
  await sleep(timing.warmupMs);
  tell({ type: 'window', phase: 'start' });
  onStart?.();
  const c0 = count();
  const p0 = pub();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(timing.measureMs);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const window = { seconds, delivered: count() - c0, published: pub() - p0, cores: (cpu.user + cpu.system) / 1e6 / seconds };
  tell({ type: 'window', phase: 'end' });
  return window;
}
