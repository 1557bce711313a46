import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { LoadMessage, LoadResult, LoadSpec } from './loadgen/load-spec';
import type { PeerReady, PeerRequestConfig, PeerUnavailable } from './peers/peer-ready';
import { collectGarbage, cpuSeconds, HAS_TASKSET, nextMessage, rssBytes, spawnPinned, stopChild } from './procs';
import { evaluateTargets, markdown, medianOf, type BenchResults, type Measurement, type RegistryScaling, type ScenarioResult } from './report';
import { EXTERNAL_PEERS, scenarios, settings, type Run } from './scenarios';

/**
 * `npm run bench`: every scenario against every peer, each peer a fresh process pinned to
 * core 0 (RabbitMQ, a shared service, is pinned there for the run instead) and the load
 * generator a fresh process pinned to core 1. Prints the tables and writes
 * bench/results/latest.md and latest.json. A run whose peer lacks what it measures is printed
 * as pending with the peer's reason; a peer that is absent and cannot be installed, as absent.
 *
 * Environment: BENCH_SECONDS (measurement window per run, default 3), BENCH_REPEAT (runs of
 * each peer per scenario, interleaved, median kept; default 3), BENCH_QUICK=1 (short smoke run,
 * one repeat), BENCH_SCENARIOS=S1,S3 and BENCH_PEERS=floor,stompbox to run a subset, BENCH_NICE=-10
 * to give the measured processes precedence on a shared machine.
 */
const BROKER_CORE = 0;
const LOADGEN_CORE = 1;
const SETTLE_MS = 2000;

const list = (v: string | undefined): string[] | undefined => v?.split(',').map((x) => x.trim()).filter(Boolean);

interface StartedPeer {
  child: ReturnType<typeof spawnPinned>;
  ready: PeerReady;
  /** The process whose CPU and memory are the broker's. */
  pid: number;
}

/** Starts `run`'s peer with the capabilities the run requires; resolves with its announcement or why it cannot run. */
async function startPeer(run: Run): Promise<StartedPeer | { child: ReturnType<typeof spawnPinned>; unavailable: string }> {
  // A run that may fall back to WebSocket asks for TCP too, so it gets TCP once the peer has it.
  const config: PeerRequestConfig = { features: run.wsFallback === true ? [...run.requires, 'tcp'] : run.requires };
  const child = spawnPinned(BROKER_CORE, ['--expose-gc', '--max-old-space-size=4096', ...profileArgs()], join(__dirname, 'peers', `${run.peer}.js`), ['0', JSON.stringify(config)], {
    BENCH_BROKER_CORE: String(BROKER_CORE),
  });
  // External peers may install themselves (apt-get) on first use and start a JVM.
  const ms = EXTERNAL_PEERS.includes(run.peer) ? 900_000 : 20_000;
  const msg = await nextMessage<PeerReady | PeerUnavailable>(child, ['ready', 'unavailable'], ms);
  if (msg.type === 'unavailable') return { child, unavailable: msg.reason };
  return { child, ready: msg, pid: msg.pid ?? child.pid! };
}

/** What the peer cannot do of what the run requires, or undefined when it can run. */
function missing(run: Run, ready: PeerReady): string | undefined {
  const lacks = run.requires.filter((c) => !ready.supports.includes(c));
  if (lacks.length === 0) return undefined;
  const reasons = new Set(lacks.map((c) => `pending: ${ready.pending?.[c] ?? `${run.peer} does not support ${c}`}`));
  return [...reasons].join('; ');
}

/** The run's load spec aimed at the peer's endpoints, in the peer's queue dialect; falls back to WebSocket where the run allows. */
function aim(run: Run, ready: PeerReady): LoadSpec {
  const e = ready.endpoints ?? {};
  const spec: LoadSpec = { ...run.spec, port: ready.port, wsPath: e.wsPath ?? run.spec.wsPath, sockjsPrefix: e.sockjsPrefix ?? run.spec.sockjsPrefix };
  Object.assign(spec, { tcpPort: e.tcpPort, wsPort: e.wsPort, ssePath: e.ssePath, publishPath: e.publishPath, publishToken: e.publishToken, connect: ready.connect });
  if (run.wsFallback === true && spec.transport === 'tcp' && !ready.supports.includes('tcp')) {
    spec.transport = 'ws';
    spec.publisherTransport = 'ws';
  }
  if (spec.queue !== undefined && ready.queue !== undefined) spec.queue = { ...spec.queue, ...ready.queue };
  return spec;
}

/** Peers found absent and not installable in this run: not started again. */
const absent = new Map<string, string>();

/** Runs one peer in one scenario; a failure is recorded, never thrown. */
async function measureRun(run: Run): Promise<Measurement> {
  const m: Measurement = { label: run.label, peer: run.peer, errors: 0 };
  const gone = absent.get(run.peer);
  if (gone !== undefined) return { ...m, skipped: gone };
  let peer: Awaited<ReturnType<typeof startPeer>> | undefined;
  let loadgen: ReturnType<typeof spawnPinned> | undefined;
  try {
    peer = await startPeer(run);
    if ('unavailable' in peer) {
      absent.set(run.peer, `absent: ${peer.unavailable}`);
      return { ...m, skipped: `absent: ${peer.unavailable}` };
    }
    const { child: broker, ready, pid } = peer;
    if (ready.notes !== undefined && ready.notes.length > 0) m.notes = ready.notes;
    const skip = missing(run, ready);
    if (skip !== undefined) return { ...m, skipped: skip };
    const spec = aim(run, ready);
    if (spec.transport !== run.spec.transport) m.notes = [...(m.notes ?? []), `over ${spec.transport}: the peer has no ${run.spec.transport} yet`];
    const holds = spec.kind === 'idle' || spec.kind === 'retain-fill';
    /** RSS before any traffic, and the baseline the figure counts from (after the warm-up traffic of a retain-fill). */
    let rssCold = 0;
    let rssBefore = 0;
    if (holds) {
      await collectGarbage(broker);
      rssCold = rssBefore = await rssBytes(broker, pid);
    }
    loadgen = spawnPinned(LOADGEN_CORE, ['--max-old-space-size=4096'], join(__dirname, 'loadgen', 'main.js'), [JSON.stringify(spec)]);
    const lg = loadgen;
    let cpu0 = 0;
    let t0 = 0;
    lg.on('message', (msg: LoadMessage) => {
      if (msg.type !== 'window') return;
      void cpuSeconds(broker, pid).then((cpu) => {
        const now = performance.now();
        if (msg.phase === 'start') [cpu0, t0] = [cpu, now];
        else m.brokerCores = (cpu - cpu0) / ((now - t0) / 1000);
      });
    });
    const limit = run.spec.warmupMs + run.spec.measureMs + 180_000;
    if (spec.kind === 'retain-fill') {
      // The baseline after the same traffic, unretained: what the fill adds is what retaining costs.
      await nextMessage(lg, 'warm-ready', limit);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await collectGarbage(broker);
      rssBefore = await rssBytes(broker, pid);
      lg.send({ type: 'go' });
    }
    if (holds) {
      const ready = await nextMessage<Extract<LoadMessage, { type: 'idle-ready' }>>(lg, 'idle-ready', limit);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      await collectGarbage(broker);
      const rssAfter = await rssBytes(broker, pid);
      const per = (rssAfter - rssBefore) / ready.connections;
      if (spec.kind === 'idle') [m.rssPerConn, m.connections] = [per, ready.connections];
      else {
        [m.rssPerMessage, m.retained] = [per, ready.connections];
        // From the cold broker too (before any traffic): V8's grown young generation included.
        m.rssColdPerMessage = (rssAfter - rssCold) / ready.connections;
      }
      lg.send({ type: 'finish' });
    }
    const { result } = await nextMessage<{ type: 'result'; result: LoadResult }>(lg, 'result', limit);
    Object.assign(m, {
      deliveredPerSec: result.deliveredPerSec,
      publishedPerSec: result.publishedPerSec,
      p50: result.p50,
      p90: result.p90,
      p99: result.p99,
      errors: result.errors,
      lost: result.lost,
      duplicated: result.duplicated,
      redelivered: result.redelivered,
      storm: result.storm,
    });
    if (!holds) m.loadgenCores = result.loadgenCpu.cores;
    // Give the broker's end-of-window CPU sample time to land.
    await new Promise((r) => setTimeout(r, 50));
  } catch (err) {
    m.failed = err instanceof Error ? err.message : String(err);
  } finally {
    if (loadgen !== undefined) await stopChild(loadgen);
    // External peers restore affinity, delete queues or stop a JVM on the way out.
    if (peer !== undefined) await stopChild(peer.child, EXTERNAL_PEERS.includes(run.peer) ? 30_000 : 3000);
  }
  return m;
}

async function runS7(sizes: number[]): Promise<RegistryScaling | undefined> {
  const child = spawnPinned(BROKER_CORE, ['--expose-gc', '--max-old-space-size=8192'], join(__dirname, 'registry-scaling.js'), [JSON.stringify(sizes)]);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    process.stderr.write(`S7 exited with ${code}\n`);
    return undefined;
  }
  return JSON.parse(out.trim().split('\n').pop()!) as RegistryScaling;
}

function machine(): string {
  const c = cpus();
  const kernel = spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${kernel}, Node ${process.version}${HAS_TASKSET ? ', taskset pinning' : ', no taskset (unpinned)'}`;
}

async function main(): Promise<void> {
  const s = settings();
  const onlyScenarios = list(process.env.BENCH_SCENARIOS);
  const onlyPeers = list(process.env.BENCH_PEERS);
  const results: ScenarioResult[] = [];
  const started = Date.now();
  // Other work on the machine takes cores from the pinned processes: record how busy it was.
  const loadBefore = loadavg()[0];
  for (const sc of scenarios(s)) {
    if (onlyScenarios !== undefined && !onlyScenarios.includes(sc.id)) continue;
    const runs = sc.runs.filter((run) => onlyPeers === undefined || onlyPeers.includes(run.peer));
    // Repeats interleaved across peers, so a slow spell of the machine hits every peer alike.
    const repeats = runs.map((): Measurement[] => []);
    for (let r = 0; r < s.repeat; r++) {
      for (let i = 0; i < runs.length; i++) {
        const m = await measureRun(runs[i]);
        repeats[i].push(m);
        const fig = m.skipped ?? m.failed ?? JSON.stringify({ ...m, label: undefined, peer: undefined }, (_, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v));
        process.stdout.write(`${sc.id} ${runs[i].label.padEnd(16)} ${s.repeat > 1 ? `${r + 1}/${s.repeat} ` : ''}${fig}\n`);
      }
    }
    results.push({ id: sc.id, title: sc.title, metric: sc.metric, runs: repeats.map((ms) => medianOf(ms, sc.metric)) });
  }
  let s7: RegistryScaling | undefined;
  if (onlyScenarios === undefined || onlyScenarios.includes('S7')) {
    s7 = await runS7(s.s7Sizes);
    process.stdout.write(`S7 ${JSON.stringify(s7)}\n`);
  }
  const env = ['BENCH_QUICK', 'BENCH_SECONDS', 'BENCH_REPEAT', 'BENCH_SCENARIOS', 'BENCH_PEERS', 'BENCH_NICE'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]} `);
  const all: BenchResults = {
    date: new Date().toISOString(),
    machine: `${machine()}; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`,
    command: `${env.join('')}npm run bench`,
    scenarios: results,
    s7,
    targets: evaluateTargets(results, s7),
  };
  const md = markdown(all);
  process.stdout.write(`\n${md}\nTotal ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.md'), `# Benchmark results\n\n${md}`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(all, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

/** BENCH_PROFILE=<dir>: peers run under `--cpu-prof`, one profile per run in that directory. */
function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}
