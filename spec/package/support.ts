/**
 * Helpers of the package spec: a copy of the working tree as a fresh clone would have it (the
 * files git tracks or would track, no dist/), commands run to completion with their output,
 * and a consumer project that installs the packed tarball with npm.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** Copies the files a clone of this working tree has (tracked and new, not ignored) into `dest`; node_modules is linked, not copied. */
export function copyWorkingTree(dest: string): number {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 << 20 })
    .toString()
    .split('\0')
    .filter((f) => f !== '' && existsSync(path.join(ROOT, f)));
  for (const file of listed) {
    mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(dest, file));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
  return listed.length;
}

/** What a finished command printed. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs a command to its end (bounded by `timeout` ms).
 * @throws Error with both outputs when it exits non-zero, unless `allowFailure`
 */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number; allowFailure?: boolean }): Promise<Finished> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const done = { code, stdout, stderr, ms: Date.now() - started };
      if (code !== 0 && options.allowFailure !== true) reject(new Error(`${command} ${args.join(' ')} exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else resolve(done);
    });
  });
}

/** A long-running child (a server) and what it printed so far. */
export interface Running {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** Starts a child that keeps running; the caller kills it by PID. */
export function start(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const poke = (c: Buffer): void => {
    out += c.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', poke);
  child.stderr!.on('data', poke);
  return {
    child,
    output: () => out,
    waitFor(pattern, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(out);
          if (m === null) return;
          cleanup();
          resolve(m);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`Timed out waiting for ${pattern} in: ${out}`));
        }, ms);
        const onExit = (code: number | null): void => {
          cleanup();
          reject(new Error(`${command} exited (${code}) before printing ${pattern}: ${out}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/** `npm pack --json` output may follow the build's own lines: the JSON is the array at the end. */
export function packResult(stdout: string): { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string; size: number }[] } {
  const at = stdout.search(/^\[/m);
  if (at === -1) throw new Error(`npm pack printed no JSON: ${stdout}`);
  return (JSON.parse(stdout.slice(at)) as ReturnType<typeof packResult>[])[0];
}

/** Links a package of this repo's node_modules into a consumer's (tools the consumer would install the same way). */
export function linkFromRepo(consumer: string, pkg: string): void {
  const to = path.join(consumer, 'node_modules', pkg);
  mkdirSync(path.dirname(to), { recursive: true });
  if (!existsSync(to)) symlinkSync(path.join(ROOT, 'node_modules', pkg), to, 'dir');
}

/** Writes files given as `{ relative path: contents }` under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

/** The version in this repo's package.json. */
export function repoVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
