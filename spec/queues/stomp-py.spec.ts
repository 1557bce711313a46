/** Queues with a client no one here wrote: two stomp.py (python3-stomp) workers over TCP compete for one queue. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers } from '../helpers/server';
import { hasPythonStomp, PYTHON } from '../support/requirements';
import { recordSkip } from '../support/skips';
import { queueServer, sendAll } from './support';

interface WorkerReport {
  acked: string[];
  seen: [string, string | null][];
  errors: string[];
}

const python = hasPythonStomp();
const describePy = python.ok ? describe : describe.skip;
if (!python.ok) {
  if (process.env.CI) throw new Error(`CI needs stomp.py (${python.detail})`);
  recordSkip('stomp.py queue specs', `stomp.py is missing (${python.detail}; apt-get install python3-stomp)`);
}

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** Starts a worker; resolves `ready` once it subscribed, `report` once it exited 0. */
function worker(port: number, queue: string): { ready: Promise<void>; report: Promise<WorkerReport> } {
  const child = spawn(PYTHON, [join(__dirname, 'fixtures/stomp_py_worker.py'), '127.0.0.1', String(port), queue], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let readyWith!: () => void;
  const ready = new Promise<void>((r) => (readyWith = r));
  let report: WorkerReport | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'READY') readyWith();
    else if (line.startsWith('{')) report = JSON.parse(line) as WorkerReport;
  });
  const done = new Promise<WorkerReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && report !== undefined) resolve(report);
      else reject(new Error(`stomp_py_worker exited ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
  return { ready, report: done };
}

describePy('stomp.py workers on a queue', () => {
  it('share the messages, each ACKed exactly once, and a NACKed one comes back with redelivered:true', async () => {
    const { running, url } = await queueServer({ tcp: { port: 0, host: '127.0.0.1' } });
    const port = running.server.tcpAddress!.port;
    const workers = [worker(port, '/queue/py'), worker(port, '/queue/py')];
    await Promise.all(workers.map((w) => w.ready));
    const producer = await RawClient.connected(url);
    const bodies = ['nack-me', ...Array.from({ length: 19 }, (_, i) => `job ${i}`)];
    await sendAll(producer, '/queue/py', bodies);
    const reports = await Promise.all(workers.map((w) => w.report));
    const acked = reports.flatMap((r) => r.acked);
    expect([...acked].sort()).toEqual([...bodies].sort());
    expect(reports.every((r) => r.acked.length > 0)).toBe(true);
    const nacked = reports.flatMap((r) => r.seen).filter(([b]) => b === 'nack-me');
    expect(nacked.map(([, redelivered]) => String(redelivered)).sort()).toEqual(['null', 'true']);
    expect(running.server.stats().queues.byDestination['/queue/py']).toMatchObject({ depth: 0, inFlight: 0, acked: 20, redelivered: 1 });
  }, 40_000);
});
