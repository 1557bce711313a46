/**
 * A broker in a child process, measured from outside: attack and fuzz specs need to see the
 * process exit (an exception that escaped a listener), stall (a bystander's round trip, and
 * the child's own event-loop delay) and grow (RSS read from /proc/<pid>/status, which works
 * even while the child's event loop is stuck).
 *
 * `startChildBroker()` bundles spec/helpers/fixtures/broker-process.ts with esbuild once per
 * test file (packages stay external and resolve from this repo's node_modules through
 * NODE_PATH, so no prior build is needed), starts it on 127.0.0.1 port 0 and waits for its
 * port. Every process started here is killed by PID in `killChildBrokers()` (call it in
 * afterEach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import type { ChildBrokerConfig } from './fixtures/broker-process';

export type { ChildBrokerConfig } from './fixtures/broker-process';

const ROOT = path.resolve(__dirname, '../..');
const MB = 1024 * 1024;
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const CLOCK_TICKS = 100;

let bundle: { dir: string; file: string } | undefined;

function bundled(): string {
  if (bundle !== undefined) return bundle.file;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-child-'));
  const file = path.join(dir, 'broker-process.js');
  buildSync({
    entryPoints: [path.join(__dirname, 'fixtures', 'broker-process.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'error',
  });
  bundle = { dir, file };
  return file;
}

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Process memory as the child itself reports it (`process.memoryUsage()`), bytes. */
export interface ChildMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** The peak of RSS samples taken every `every` ms until `stop()`. */
export interface RssWatch {
  /** Highest RSS seen so far, bytes. */
  readonly peak: number;
  /** Stops sampling (after one last sample) and returns the peak. */
  stop(): number;
}

const children = new Set<ChildBroker>();

/**
 * RSS growth past which the harness kills a child, MB. An attack that succeeds (a finding not
 * yet fixed) can take gigabytes and minutes of CPU; the spec fails either way, and the two
 * cores and the memory are shared. Every bound the specs assert is far below this.
 */
export const RSS_CAP_MB = 512;

/** A broker running in its own process. */
export class ChildBroker {
  stderr = '';
  stdout = '';
  /** Set once the process ended; a broker under attack must never get one. */
  exit: ChildExit | undefined;
  /** Why the harness killed the process, if it did (see {@link RSS_CAP_MB}). */
  killedBecause: string | undefined;
  private capTimer: ReturnType<typeof setInterval> | undefined;
  readonly exited: Promise<ChildExit>;
  port = 0;
  /** The STOMP-over-TCP port, when the options have `tcp`. */
  tcpPort: number | undefined;
  private nextId = 0;
  private readonly replies = new Map<number, (reply: any) => void>();

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        if (this.capTimer !== undefined) clearInterval(this.capTimer);
        for (const reply of this.replies.values()) reply(undefined);
        this.replies.clear();
        resolve(this.exit);
      });
    });
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.on('message', (message: { id: number }) => {
      const reply = this.replies.get(message.id);
      this.replies.delete(message.id);
      reply?.(message);
    });
    child.on('error', () => undefined);
  }

  /** Starts a child broker and resolves once it listens. */
  static async start(config: ChildBrokerConfig = {}): Promise<ChildBroker> {
    const child = spawn(process.execPath, ['--expose-gc', bundled(), JSON.stringify(config)], {
      cwd: ROOT,
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const broker = new ChildBroker(child);
    children.add(broker);
    broker.port = await new Promise<number>((resolve, reject) => {
      const onData = (): void => {
        const m = /port (\d+)/.exec(broker.stdout);
        if (m === null) return;
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      };
      child.stdout!.on('data', onData);
      void broker.exited.then((exit) => reject(new Error(`child broker exited (${describeExit(exit)}) before listening: ${broker.stderr}`)));
    });
    const tcp = /^tcp (\d+)$/m.exec(broker.stdout);
    broker.tcpPort = tcp === null ? undefined : Number(tcp[1]);
    broker.capRss(broker.rss() + RSS_CAP_MB * MB);
    return broker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** True while the process runs. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** `ws://127.0.0.1:<port><path>` */
  ws(p: string): string {
    return `ws://127.0.0.1:${this.port}${p}`;
  }

  /** `http://127.0.0.1:<port><path>` */
  http(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  /** Resident set size now, bytes, read from /proc (answers while the child is stalled); 0 once it exited. */
  rss(): number {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m === null ? 0 : Number(m[1]) * 1024;
    } catch {
      return 0;
    }
  }

  /** CPU time (user + system) the child used so far, ms, from /proc/<pid>/stat (10 ms resolution). */
  cpuMs(): number {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    } catch {
      return 0;
    }
  }

  /** Samples RSS every `every` ms and keeps the peak. */
  watchRss(every = 20): RssWatch {
    let peak = this.rss();
    const sample = (): void => {
      peak = Math.max(peak, this.rss());
    };
    const timer = setInterval(sample, every);
    timer.unref(); // a test that failed before stop() must not keep jest running
    return {
      get peak() {
        return peak;
      },
      stop() {
        clearInterval(timer);
        sample();
        return peak;
      },
    };
  }

  /** The child's own memory report; `gc` runs a full collection first (to see what is retained, not garbage). */
  memory(gc = false, ms = 10000): Promise<ChildMemory> {
    return this.request({ type: 'memory', gc }, ms);
  }

  /** The longest event-loop delay the child saw since the last call, ms. */
  async loopDelay(ms = 10000): Promise<number> {
    return ((await this.request({ type: 'loop' }, ms)) as { maxDelayMs: number }).maxDelayMs;
  }

  /** Keeps the child's event loop busy for `ms` (harness self-test). */
  block(ms: number): Promise<unknown> {
    return this.request({ type: 'block', ms }, ms + 10000);
  }

  /** A sentence saying how the process ended, with the start of its stderr. */
  describeExit(): string {
    if (this.exit === undefined) return 'running';
    if (this.killedBecause !== undefined) return `killed by the harness: ${this.killedBecause}`;
    return `${describeExit(this.exit)}; stderr: ${summary(this.stderr)}`;
  }

  /** Kills the process by PID and waits for it to end; `because` says why, when the harness stops a runaway. */
  async kill(because?: string): Promise<void> {
    if (this.exit === undefined) {
      if (because !== undefined) this.killedBecause ??= because;
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.exited;
    }
    children.delete(this);
  }

  private capRss(limit: number): void {
    this.capTimer = setInterval(() => {
      const rss = this.rss();
      if (rss > limit) void this.kill(`RSS reached ${mb(rss)} MB, past the harness cap of ${RSS_CAP_MB} MB over its start`);
    }, 50);
    this.capTimer.unref();
  }

  private request(body: object, ms: number): Promise<any> {
    if (this.exit !== undefined) return Promise.reject(new Error(`child broker ${this.describeExit()}`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new Error(`child broker did not answer ${JSON.stringify(body)} within ${ms} ms`));
      }, ms);
      this.replies.set(id, (reply) => {
        clearTimeout(timer);
        if (reply === undefined) reject(new Error(`child broker ${this.describeExit()}`));
        else resolve(reply);
      });
      this.child.send({ id, ...body });
    });
  }
}

/** The error line of a stderr and the first two stack lines under it (or its start). */
function summary(stderr: string): string {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => /^\S*(Error|Exception)\b/.test(l));
  if (at === -1) return stderr.slice(0, 300).trim() || '(empty)';
  return lines.slice(at, at + 3).map((l) => l.trim()).join(' ').slice(0, 400);
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** Starts a broker in a child process (see {@link ChildBroker.start}). */
export function startChildBroker(config: ChildBrokerConfig = {}): Promise<ChildBroker> {
  return ChildBroker.start(config);
}

/** Kills every child broker started by this module, by PID. */
export async function killChildBrokers(): Promise<void> {
  await Promise.all([...children].map((c) => c.kill()));
}

/** Removes the bundle (afterAll). */
export function removeChildBrokerBundle(): void {
  if (bundle !== undefined) rmSync(bundle.dir, { recursive: true, force: true });
  bundle = undefined;
}

/** Bytes as MB with one decimal, for figures in logs. */
export function mb(bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10;
}
