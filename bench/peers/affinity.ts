import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Pinning a process the benchmark did not start (the machine's RabbitMQ) to one core for a
 * run, and putting it back as it was. Every thread's CPU list is recorded first (Erlang binds
 * its schedulers to cores, so threads differ), written to a file so a run that died before
 * restoring is repaired by the next one, then `taskset -a -p -c <core>` moves every thread.
 */
export interface SavedAffinity {
  pid: number;
  /** The process's own list, for threads started while it was pinned. */
  process: string;
  threads: Record<string, string>;
  /** The benchmark process that pinned it (a later run restores only when that one is gone). */
  owner: number;
}

const fileOf = (pid: number): string => join(tmpdir(), `stompbox-bench-affinity-${pid}.json`);

function cpusAllowed(statusPath: string): string | undefined {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(statusPath, 'latin1'))?.[1];
  } catch {
    return undefined; // the thread ended
  }
}

/** Every thread's CPU list of `pid` now. */
export function readAffinity(pid: number): SavedAffinity {
  const threads: Record<string, string> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const list = cpusAllowed(`/proc/${pid}/task/${tid}/status`);
    if (list !== undefined) threads[tid] = list;
  }
  return { pid, process: cpusAllowed(`/proc/${pid}/status`) ?? '', threads, owner: process.pid };
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

/** Restores what a run that died left pinned (its owner gone). True when something was restored. */
export function repairLeftover(pid: number): boolean {
  const file = fileOf(pid);
  if (!existsSync(file)) return false;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedAffinity;
  if (alive(saved.owner) && saved.owner !== process.pid) return false;
  restoreAffinity(saved);
  return true;
}

/** Records `pid`'s affinity and moves all its threads to `core`. Returns what to restore. */
export function pinProcess(pid: number, core: number): SavedAffinity {
  repairLeftover(pid);
  const saved = readAffinity(pid);
  writeFileSync(fileOf(pid), JSON.stringify(saved));
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(fileOf(pid), { force: true });
    throw new Error(`taskset -a -p -c ${core} ${pid} failed: ${(r.stderr ?? '').trim() || r.error?.message}`);
  }
  return saved;
}

/** Puts every thread back on its recorded CPU list (new threads on the process's list). */
export function restoreAffinity(saved: SavedAffinity): void {
  if (!alive(saved.pid)) {
    rmSync(fileOf(saved.pid), { force: true });
    return;
  }
  for (const tid of readdirSync(`/proc/${saved.pid}/task`)) {
    const list = saved.threads[tid] ?? saved.process;
    if (list !== '') spawnSync('taskset', ['-p', '-c', list, tid], { stdio: 'ignore' });
  }
  rmSync(fileOf(saved.pid), { force: true });
}

/** True when every thread of `pid` is on `core` only. */
export function pinnedTo(pid: number, core: number): boolean {
  return Object.values(readAffinity(pid).threads).every((l) => l === String(core));
}
