import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAS_TASKSET } from '../procs';
import { activemqXml, JVM_OPTIONS } from './activemq-config';
import { aptInstall, hasCommand, waitForStomp } from './debian';
import { announce, unavailable } from './peer-host';

/**
 * Apache ActiveMQ Classic (Debian's `activemq`, 5.17) as a peer: installed with apt-get when
 * absent, then started for the run as its own JVM — config, KahaDB and logs in a fresh
 * temporary directory, one STOMP connector on a free port (never 61613, RabbitMQ's), pinned to
 * the broker core with taskset — waited for until it answers CONNECT, and stopped by its pid
 * on SIGTERM (then the directory is removed). Debian's own service instance is never touched.
 *
 * Env: BENCH_BROKER_CORE (0), ACTIVEMQ_HOME (/usr/share/activemq).
 */
const NAME = 'activemq';
const HOME = process.env.ACTIVEMQ_HOME ?? '/usr/share/activemq';
const JAR = join(HOME, 'bin', 'activemq.jar');
const CORE = Number(process.env.BENCH_BROKER_CORE ?? 0);
const START_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function ensureInstalled(notes: string[]): string | undefined {
  if (existsSync(JAR) && hasCommand('java')) return undefined;
  const r = aptInstall(['activemq']);
  if (!r.ok) return r.reason;
  notes.push('activemq installed by the benchmark (apt-get)');
  return existsSync(JAR) ? undefined : `${JAR} missing after installing activemq`;
}

/** Stops the JVM this peer started: SIGTERM (ActiveMQ's shutdown hook closes KahaDB), SIGKILL after 10 s. */
function stopJvm(java: ChildProcess): Promise<void> {
  if (java.exitCode !== null || java.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => java.kill('SIGKILL'), 10_000);
    java.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    java.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const notes: string[] = [];
  const reason = ensureInstalled(notes);
  if (reason !== undefined) {
    unavailable(NAME, reason);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-bench-activemq-'));
  mkdirSync(join(dir, 'conf'));
  mkdirSync(join(dir, 'data'));
  const port = await freePort();
  writeFileSync(join(dir, 'conf', 'activemq.xml'), activemqXml(dir, port));
  const props = [`-Dactivemq.classpath=${join(dir, 'conf')}`, `-Dactivemq.home=${HOME}`, `-Dactivemq.base=${dir}`, `-Dactivemq.conf=${join(dir, 'conf')}`, `-Dactivemq.data=${join(dir, 'data')}`];
  let argv = ['java', ...JVM_OPTIONS, ...props, '-jar', JAR, 'start', `xbean:file:${join(dir, 'conf', 'activemq.xml')}`];
  // taskset execs java, so the child's pid is the JVM's own.
  if (HAS_TASKSET) argv = ['taskset', '-c', String(CORE), ...argv];
  else notes.push('not pinned: no taskset');
  const java = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  java.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const cleanup = async (): Promise<void> => {
    await stopJvm(java);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(0)));
  process.once('SIGINT', () => void cleanup().then(() => process.exit(0)));
  // The runner went away without stopping this peer: stop the JVM all the same.
  process.once('disconnect', () => void cleanup().then(() => process.exit(0)));
  const alive = (): boolean => java.exitCode === null && java.signalCode === null;
  if (!(await waitForStomp(port, undefined, START_MS, alive))) {
    await cleanup();
    unavailable(NAME, `ActiveMQ did not answer STOMP on ${port} within ${START_MS / 1000} s: ${stderr.trim().split('\n').pop() ?? ''}`);
    return;
  }
  if (HAS_TASKSET) notes.push(`java ${java.pid} started pinned to core ${CORE}, STOMP on ${port}, KahaDB in ${dir}`);
  announce(NAME, port, {
    pid: java.pid,
    supports: ['tcp', 'queue', 'durable', 'selector'],
    pending: {
      'topic-ws': 'the ActiveMQ peer runs only its STOMP TCP connector',
      retention: 'ActiveMQ Classic has no topic history with x-stream-offset',
      sse: 'ActiveMQ has no SSE',
      'http-publish': 'not compared',
    },
    endpoints: { tcpPort: port },
    // ActiveMQ's prefetch header; `persistent:true` makes a message persistent (KahaDB).
    queue: { prefetchHeader: 'activemq.prefetchSize', subscribeHeaders: {}, sendHeaders: {} },
    notes,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`activemq peer: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
