/**
 * Runs one docs program the way the docs promise it behaves: it either does what it shows and
 * exits 0 by itself, or it is a server that prints `listening on http://…`, answers HTTP on
 * that address, and exits 0 on SIGTERM. Both within fixed bounds, so a program that hangs
 * fails instead of holding the run.
 */
import path from 'node:path';
import { start } from '../package/support';

/** How a program run ended. */
export interface ProgramRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  /** The address a server printed, and the HTTP status it answered there. */
  readonly served?: { url: string; status: number };
  readonly ms: number;
  /** Why the run does not count as done (a timeout, a refused request), if it does not. */
  readonly failure?: string;
}

/** The line a server program prints once it accepts connections. */
export const READY = /^listening on (http:\/\/\S+?)\/?$/m;

/** Bounds of one run, ms. */
export const BOUNDS = Object.freeze({ run: 20_000, stop: 5_000 });

/** Runs `entry` (a path inside `root`) with `cwd` as its working folder, within `bounds`. */
export async function runProgram(root: string, entry: string, cwd: string, env: NodeJS.ProcessEnv, bounds: { run: number; stop: number } = BOUNDS): Promise<ProgramRun> {
  const started = Date.now();
  const child = start(process.execPath, [path.join(root, entry)], { cwd: path.join(root, cwd), env });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = child.waitFor(READY, bounds.run).then(
    (m) => m[1],
    () => undefined,
  );
  const first = await Promise.race([exited.then(() => 'exited' as const), ready.then((url) => (url === undefined ? ('timeout' as const) : url))]);
  const done = (extra: Partial<ProgramRun>, end: { code: number | null; signal: NodeJS.Signals | null }): ProgramRun => ({ ...end, output: child.output(), ms: Date.now() - started, ...extra });
  // waitFor also gives up when the child exits: only a child still running has timed out.
  const running = child.child.exitCode === null && child.child.signalCode === null;
  if (first === 'exited' || (first === 'timeout' && !running)) return done({}, await exited);
  if (first === 'timeout') {
    child.child.kill('SIGKILL');
    return done({ failure: `neither exited nor printed "listening on http://…" within ${bounds.run} ms` }, await exited);
  }
  let served: { url: string; status: number } | undefined;
  let failure: string | undefined;
  try {
    served = { url: first, status: (await fetch(first, { signal: AbortSignal.timeout(bounds.stop) })).status };
  } catch (err) {
    failure = `printed ${first} but a request there failed: ${String(err)}`;
  }
  child.child.kill('SIGTERM');
  const stopTimer = setTimeout(() => child.child.kill('SIGKILL'), bounds.stop);
  const end = await exited;
  clearTimeout(stopTimer);
  if (end.signal === 'SIGKILL') failure ??= `did not exit within ${bounds.stop} ms of SIGTERM`;
  return done({ served, failure }, end);
}

/** Lines of `expected` (an output block) that `actual` lacks, checked in order. */
export function missingOutput(expected: string, actual: string): string[] {
  const missing: string[] = [];
  let at = 0;
  for (const line of expected.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')) {
    const found = actual.indexOf(line, at);
    if (found === -1) missing.push(line);
    else at = found + line.length;
  }
  return missing;
}
