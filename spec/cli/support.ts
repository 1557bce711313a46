/**
 * Runs the real `stompbox` command in child processes. `buildCli()` bundles cli/stompbox.ts
 * with esbuild into a temp directory (packages stay external and resolve from this repo's
 * node_modules through NODE_PATH), so the specs need no prior `npm run build`. Every process
 * started here is killed by PID in `killCliProcesses()` (call it in afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');
let bundle: { dir: string; file: string } | undefined;

/** Bundles the CLI once per test file; returns the script path. */
export function buildCli(): string {
  if (bundle !== undefined) return bundle.file;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-cli-'));
  const file = path.join(dir, 'stompbox.js');
  buildSync({ entryPoints: [path.join(ROOT, 'cli/stompbox.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: file, logLevel: 'error' });
  bundle = { dir, file };
  return file;
}

/** Removes the bundle (afterAll). */
export function removeCli(): void {
  if (bundle !== undefined) rmSync(bundle.dir, { recursive: true, force: true });
  bundle = undefined;
}

/** A running `stompbox` process and what it wrote. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Resolves once stdout or stderr (as named) matches. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

const children = new Set<ChildProcess>();

/** Starts `stompbox <args>`; `input` (if given) is written to stdin, which is then closed. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): CliProcess {
  const child = spawn(process.execPath, [buildCli(), ...args], {
    cwd: ROOT,
    // TCP_PORT=0: `serve` would take STOMP's 61613 (RabbitMQ's on CI) for its TCP listener.
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), TCP_PORT: '0', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const listeners = new Set<() => void>();
  const proc: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    waitFor(stream, pattern, ms = 10000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = proc[stream].match(pattern);
          if (m === null) return false;
          clearTimeout(timer);
          listeners.delete(onData);
          resolve(m);
          return true;
        };
        const onData = (): void => void check();
        const timer = setTimeout(() => {
          listeners.delete(onData);
          reject(new Error(`Timed out waiting for ${pattern} on ${stream}; stdout: ${proc.stdout}; stderr: ${proc.stderr}`));
        }, ms);
        if (!check()) listeners.add(onData);
      });
    },
  };
  child.stdout!.on('data', (d: Buffer) => {
    proc.stdout += d.toString();
    for (const l of [...listeners]) l();
  });
  child.stderr!.on('data', (d: Buffer) => {
    proc.stderr += d.toString();
    for (const l of [...listeners]) l();
  });
  child.once('exit', () => children.delete(child));
  if (options.input !== undefined) child.stdin!.end(options.input);
  return proc;
}

/** Runs `stompbox <args>` to completion. */
export async function runToExit(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = runCli(args, options);
  if (options.input === undefined) proc.child.stdin!.end();
  const code = await proc.exited;
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

/** Kills every process started here that still runs, by PID, and waits for each to exit. */
export async function killCliProcesses(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          process.kill(child.pid!, 'SIGKILL');
        }),
    ),
  );
  children.clear();
}
