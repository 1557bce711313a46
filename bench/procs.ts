import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** True when `taskset` can pin processes to a core (util-linux). */
export const HAS_TASKSET = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** Clock ticks per second of `/proc/<pid>/stat` CPU times. */
const CLK_TCK = ((): number => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

const HAS_PROC = existsSync('/proc/self/stat');

/**
 * Starts `node <nodeArgs> <script> <args>` pinned to `core` when taskset exists, with an IPC
 * channel. nice and taskset exec node, so the child's pid is node's own.
 */
export function spawnPinned(core: number, nodeArgs: string[], script: string, args: string[] = [], env?: NodeJS.ProcessEnv): ChildProcess {
  let argv = [process.execPath, ...nodeArgs, script, ...args];
  if (HAS_TASKSET) argv = ['taskset', '-c', String(core), ...argv];
  // On a shared machine other work steals the pinned cores; BENCH_NICE=-10 (as root) gives
  // the measured processes precedence. nice warns and runs anyway when it may not.
  if (NICE !== undefined) argv = ['nice', '-n', NICE, ...argv];
  return spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: env === undefined ? process.env : { ...process.env, ...env } });
}

const NICE = process.env.BENCH_NICE;

/** Resolves with the first IPC message of `type` (or of any of several types), or rejects after `ms` or on exit. */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'] | readonly T['type'][], ms: number): Promise<T> {
  const types: readonly string[] = typeof type === 'string' ? [type] : type;
  const what = types.join("' or '");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no '${what}' from pid ${child.pid} within ${ms} ms`)), ms);
    const onMessage = (msg: { type?: string }): void => {
      if (msg?.type !== undefined && types.includes(msg.type)) done(undefined, msg as T);
    };
    const onExit = (code: number | null): void => done(new Error(`pid ${child.pid} exited (${code}) before '${what}'`));
    const done = (err?: Error, msg?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(msg!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * CPU seconds (user + system, every thread) used so far by `child`, or by `pid` when the
 * broker is another process the peer manages (RabbitMQ's beam.smp), from /proc or, failing
 * that, over IPC.
 */
export async function cpuSeconds(child: ChildProcess, pid = child.pid): Promise<number> {
  if (HAS_PROC) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }
  child.send({ type: 'stats' });
  return (await nextMessage<{ type: 'stats'; cpuSeconds: number }>(child, 'stats', 10_000)).cpuSeconds;
}

/** Resident set size of `child` (or of `pid`, as for {@link cpuSeconds}) in bytes, from /proc or over IPC. */
export async function rssBytes(child: ChildProcess, pid = child.pid): Promise<number> {
  if (HAS_PROC) {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (m !== null) return Number(m[1]) * 1024;
  }
  child.send({ type: 'stats' });
  return (await nextMessage<{ type: 'stats'; rss: number }>(child, 'stats', 10_000)).rss;
}

/** Asks a peer to collect garbage (it runs with --expose-gc) and waits until it has. */
export async function collectGarbage(child: ChildProcess): Promise<void> {
  child.send({ type: 'gc' });
  await nextMessage(child, 'gc-done', 30_000);
}

/** Ends a child this runner started: SIGTERM, then SIGKILL after `ms`. */
export function stopChild(child: ChildProcess, ms = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
