import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { HAS_TASKSET } from '../procs';
import { pinProcess, restoreAffinity, type SavedAffinity } from './affinity';
import { aptInstall, hasCommand, stompAnswers, waitForStomp } from './debian';
import { announce, unavailable } from './peer-host';

/**
 * RabbitMQ as a peer: the machine's running `rabbitmq-server` (a shared service: never
 * restarted or stopped here), STOMP over TCP on 61613 and Web-STOMP at ws://127.0.0.1:15674/ws,
 * guest/guest. When absent it is installed from Debian (`rabbitmq-server`) and started; its
 * STOMP plugins are enabled when off (`rabbitmq-plugins enable` works on the running node).
 *
 * For the run its `beam.smp` is pinned to the broker core (`taskset -a -p`, every thread),
 * its previous affinity recorded and put back on SIGTERM or exit; the runner samples CPU from
 * that pid. Queues this benchmark declared (`stompbox-bench.*`) are deleted on the way out.
 *
 * Env: RABBITMQ_STOMP_PORT (61613), RABBITMQ_WS_PORT (15674), BENCH_BROKER_CORE (0).
 */
const NAME = 'rabbitmq';
const TCP_PORT = Number(process.env.RABBITMQ_STOMP_PORT ?? 61613);
const WS_PORT = Number(process.env.RABBITMQ_WS_PORT ?? 15674);
const CORE = Number(process.env.BENCH_BROKER_CORE ?? 0);
/** RabbitMQ reads CONNECT's `host` as its virtual host. */
const CONNECT = { host: '/', login: 'guest', passcode: 'guest' };
const QUEUE_PREFIX = 'stompbox-bench.';

/** The pid of the node's `beam.smp` (the Erlang VM running `rabbit`), if any. */
export function beamPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'latin1').trim() !== 'beam.smp') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('rabbit')) return Number(entry);
    } catch {
      // The process ended while listed.
    }
  }
  return undefined;
}

const run = (cmd: string, args: string[]): { ok: boolean; out: string } => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
};

/** Makes sure RabbitMQ is installed, running and speaking STOMP; returns a reason when it cannot be. */
async function ensureRabbit(notes: string[]): Promise<string | undefined> {
  if (!hasCommand('rabbitmqctl')) {
    const r = aptInstall(['rabbitmq-server']);
    if (!r.ok) return r.reason;
    notes.push('rabbitmq-server installed by the benchmark');
  }
  if (beamPid() === undefined) {
    // Installed but not running (a fresh install under policy-rc.d): start it, never restart it.
    run('service', ['rabbitmq-server', 'start']);
    const deadline = Date.now() + 60_000;
    while (beamPid() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    if (beamPid() === undefined) return 'rabbitmq-server is installed but does not start (`service rabbitmq-server start`)';
    notes.push('rabbitmq-server started by the benchmark');
  }
  if (!(await stompAnswers(TCP_PORT, CONNECT)) || !(await portAnswersHttp(WS_PORT))) {
    const r = run('rabbitmq-plugins', ['enable', 'rabbitmq_stomp', 'rabbitmq_web_stomp']);
    if (!r.ok) return `rabbitmq-plugins enable rabbitmq_stomp rabbitmq_web_stomp failed: ${r.out.split('\n').pop()}`;
    notes.push('STOMP plugins enabled by the benchmark');
    if (!(await waitForStomp(TCP_PORT, CONNECT, 30_000))) return `RabbitMQ does not answer STOMP on ${TCP_PORT}`;
  }
  return undefined;
}

function portAnswersHttp(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/ws`).then(
    () => true,
    () => false,
  );
}

/** Deletes the queues this benchmark declared (durable ones outlive their consumers). */
function deleteBenchQueues(): void {
  const list = run('rabbitmqctl', ['list_queues', '-q', '--no-table-headers', 'name']);
  if (!list.ok) return;
  for (const name of list.out.split('\n').map((l) => l.trim())) {
    if (name.startsWith(QUEUE_PREFIX)) run('rabbitmqctl', ['delete_queue', name]);
  }
}

async function main(): Promise<void> {
  const notes: string[] = [];
  const reason = await ensureRabbit(notes);
  if (reason !== undefined) {
    unavailable(NAME, reason);
    return;
  }
  const pid = beamPid()!;
  let saved: SavedAffinity | undefined;
  if (HAS_TASKSET) {
    try {
      saved = pinProcess(pid, CORE);
      notes.push(`beam.smp ${pid} pinned to core ${CORE} for the run (every thread), affinity restored after`);
    } catch (err) {
      notes.push(`not pinned: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else notes.push('not pinned: no taskset');
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    if (saved !== undefined) restoreAffinity(saved);
    deleteBenchQueues();
  };
  process.on('exit', cleanup);
  process.once('SIGTERM', () => {
    cleanup();
    process.exit(0);
  });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(0);
  });
  // The runner went away without stopping this peer: put RabbitMQ back all the same.
  process.once('disconnect', () => {
    cleanup();
    process.exit(0);
  });
  announce(NAME, WS_PORT, {
    pid,
    supports: ['topic-ws', 'tcp', 'queue', 'durable'],
    pending: {
      selector: 'RabbitMQ has no selectors',
      retention: 'RabbitMQ keeps history only in streams, not on /topic',
      sse: 'RabbitMQ has no SSE',
      'http-publish': 'not compared',
    },
    endpoints: { wsPort: WS_PORT, wsPath: '/ws', tcpPort: TCP_PORT },
    connect: CONNECT,
    // `/queue/<name>` declares a durable, non-auto-delete queue; `persistent:true` is delivery mode 2.
    queue: { prefetchHeader: 'prefetch-count', subscribeHeaders: {}, sendHeaders: {} },
    notes,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`rabbitmq peer: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
