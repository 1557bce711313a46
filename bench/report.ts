import { FLOORS, type Metric, type PeerName, type ScenarioId } from './scenarios';

/** What one run measured. Absent figures were not measured (or the run failed). */
export interface Measurement {
  label: string;
  peer: PeerName;
  deliveredPerSec?: number;
  publishedPerSec?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  /** Bytes of broker RSS per idle connection (S5). */
  rssPerConn?: number;
  connections?: number;
  /** CPU cores used over the window (1.0 = one core saturated). */
  brokerCores?: number;
  loadgenCores?: number;
  errors: number;
  failed?: string;
  /** The headline figure of every repeat of this peer in this scenario, in run order (this measurement is their median). */
  repeats?: number[];
}

/** One scenario's measurements. */
export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  metric: Metric;
  runs: Measurement[];
}

/** S7: ns per publish by number of unrelated subscriptions. */
export type RegistryScaling = Record<'exact' | 'pattern', Record<number, number>>;

/** One target of issue 5 and whether this run met it. */
export interface TargetResult {
  target: string;
  ratio: number | undefined;
  limit: number;
  /** Undefined when a figure it needs was not measured. */
  pass: boolean | undefined;
}

/** Everything a benchmark run produced (written as results/latest.json). */
export interface BenchResults {
  date: string;
  machine: string;
  command: string;
  scenarios: ScenarioResult[];
  s7: RegistryScaling | undefined;
  targets: TargetResult[];
}

/**
 * The median of one peer's repeats by headline figure, carrying every repeat's figure. Failed
 * repeats are left out; when all failed, the first failure stands.
 */
export function medianOf(repeats: Measurement[], metric: Metric): Measurement {
  const ok = repeats.filter((m) => figure(m, metric) !== undefined);
  if (ok.length === 0) return repeats[0];
  const sorted = [...ok].sort((a, b) => figure(a, metric)! - figure(b, metric)!);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...median, repeats: repeats.map((m) => figure(m, metric) ?? Number.NaN) };
}

/** The headline figure of a measurement under `metric`. */
export function figure(m: Measurement | undefined, metric: Metric): number | undefined {
  if (m === undefined || m.failed !== undefined) return undefined;
  if (metric === 'delivered/s') return m.deliveredPerSec;
  if (metric === 'p99 ms') return m.p99;
  if (metric === 'RSS/conn') return m.rssPerConn;
  return undefined;
}

function fmt(n: number | undefined, metric: Metric): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (metric === 'delivered/s') return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`;
  if (metric === 'p99 ms') return n.toFixed(2);
  if (metric === 'RSS/conn') return `${(n / 1024).toFixed(1)} KiB`;
  return n.toFixed(0);
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const fmtRatio = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);

function byPeer(s: ScenarioResult, peer: string): Measurement | undefined {
  return s.runs.find((m) => m.label === peer);
}

/**
 * The best figure of the three floors in a scenario: the highest rate, or the lowest latency or
 * memory. Targets against "the floor" use it, so none is met against a floor that was slowed
 * by its own writes (the plain floor saturates below S3's 100k deliveries a second on a slow
 * core, and its p99 then measures its queue).
 */
function bestFloor(s: ScenarioResult): number | undefined {
  const figures = FLOORS.map((p) => figure(byPeer(s, p), s.metric)).filter((n): n is number => n !== undefined);
  if (figures.length === 0) return undefined;
  return s.metric === 'delivered/s' ? Math.max(...figures) : Math.min(...figures);
}

/** The main table: one row per peer scenario, the ratios stompbox / corked floor, / framed floor and / stomp-broker-js. */
function peerTable(results: BenchResults): string[] {
  const lines = [
    '| scenario | metric | stompbox | floor | floor (corked) | floor (framed) | stomp-broker-js | stompbox / corked floor | stompbox / framed floor | stompbox / stomp-broker-js |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of results.scenarios.filter((x) => x.id !== 'S6')) {
    const f = (p: PeerName): number | undefined => figure(byPeer(s, p), s.metric);
    const sb = f('stompbox');
    const cells = (['stompbox', 'floor', 'floor-corked', 'floor-framed', 'stomp-broker-js'] as const).map((p) => fmt(f(p), s.metric));
    const ratios = (['floor-corked', 'floor-framed', 'stomp-broker-js'] as const).map((p) => fmtRatio(ratio(sb, f(p))));
    lines.push(`| ${s.id} ${s.title} | ${s.metric} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
  }
  return lines;
}

function detailTable(results: BenchResults): string[] {
  const lines = [
    '| scenario | peer / transport | delivered/s | published/s | p50 / p90 / p99 ms | RSS/conn | broker CPU | loadgen CPU | errors | repeats (lowest – highest) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const cores = (n: number | undefined): string => (n === undefined ? '—' : n.toFixed(2));
  for (const s of results.scenarios) {
    for (const m of s.runs) {
      if (m.failed !== undefined) {
        lines.push(`| ${s.id} | ${m.label} | failed: ${m.failed.replace(/\|/g, '/').slice(0, 120)} | | | | | | |`);
        continue;
      }
      const lat = m.p99 === undefined ? '—' : `${m.p50!.toFixed(2)} / ${m.p90!.toFixed(2)} / ${m.p99.toFixed(2)}`;
      const rate = (n: number | undefined): string => (n === undefined || n === 0 ? '—' : fmt(n, 'delivered/s'));
      lines.push(
        `| ${s.id} | ${m.label} | ${rate(m.deliveredPerSec)} | ${rate(m.publishedPerSec)} | ${lat} | ${fmt(m.rssPerConn, 'RSS/conn')} | ` +
          `${cores(m.brokerCores)} | ${cores(m.loadgenCores)} | ${m.errors} | ${spread(m.repeats, s.metric)} |`,
      );
    }
  }
  return lines;
}

/** `n: lowest – highest` of a peer's repeats ('—' for a single run). */
function spread(repeats: number[] | undefined, metric: Metric): string {
  const ok = (repeats ?? []).filter((n) => Number.isFinite(n));
  if (ok.length < 2) return '—';
  const failed = (repeats?.length ?? 0) - ok.length;
  return `${ok.length}: ${fmt(Math.min(...ok), metric)} – ${fmt(Math.max(...ok), metric)}${failed > 0 ? ` (${failed} failed)` : ''}`;
}

function s7Table(s7: RegistryScaling | undefined): string[] {
  if (s7 === undefined) return ['S7 did not run.'];
  const sizes = Object.keys(s7.exact).map(Number);
  const lines = [
    `| unrelated subscriptions | ${sizes.map((n) => n.toLocaleString('en')).join(' | ')} | largest / 1,000 |`,
    `|---|${sizes.map(() => '---:').join('|')}|---:|`,
  ];
  for (const kind of ['exact', 'pattern'] as const) {
    const row = sizes.map((n) => `${s7[kind][n].toFixed(0)} ns`);
    lines.push(`| ${kind} | ${row.join(' | ')} | ${fmtRatio(ratio(s7[kind][sizes[sizes.length - 1]], s7[kind][1000]))} |`);
  }
  return lines;
}

/** The targets of issue 5, evaluated on `results`. */
export function evaluateTargets(scenarios: ScenarioResult[], s7: RegistryScaling | undefined): TargetResult[] {
  const get = (id: ScenarioId, label: string): number | undefined => {
    const s = scenarios.find((x) => x.id === id);
    return s === undefined ? undefined : figure(byPeer(s, label), s.metric);
  };
  const floorOf = (id: ScenarioId): number | undefined => {
    const s = scenarios.find((x) => x.id === id);
    return s === undefined ? undefined : bestFloor(s);
  };
  const atLeast = (target: string, r: number | undefined, limit: number): TargetResult => ({ target, ratio: r, limit, pass: r === undefined ? undefined : r >= limit });
  const atMost = (target: string, r: number | undefined, limit: number): TargetResult => ({ target, ratio: r, limit, pass: r === undefined ? undefined : r <= limit });
  const out: TargetResult[] = [];
  for (const id of ['S1', 'S2', 'S4'] as const) {
    out.push(atLeast(`${id} delivered/s ≥ 0.7 × corked floor`, ratio(get(id, 'stompbox'), get(id, 'floor-corked')), 0.7));
  }
  out.push(atMost('S3 p99 ≤ 2 × floor p99 (lowest of the three floors)', ratio(get('S3', 'stompbox'), floorOf('S3')), 2));
  out.push(atMost('S5 RSS/conn ≤ 1.3 × floor (lowest of the three floors)', ratio(get('S5', 'stompbox'), floorOf('S5')), 1.3));
  out.push(atLeast('S6 SockJS websocket ≥ 0.5 × plain WebSocket', ratio(get('S6', 'sockjs-ws'), get('S6', 'ws')), 0.5));
  for (const kind of ['exact', 'pattern'] as const) {
    const sizes = s7 === undefined ? [] : Object.keys(s7[kind]).map(Number);
    const largest = sizes[sizes.length - 1];
    out.push(
      atMost(`S7 ${kind}: ns/publish at ${largest?.toLocaleString('en') ?? '1M'} ≤ 1.5 × at 1,000`, s7 === undefined ? undefined : ratio(s7[kind][largest], s7[kind][1000]), 1.5),
    );
  }
  return out;
}

/** The whole report as Markdown (also what the terminal shows). */
export function markdown(results: BenchResults): string {
  const targets = results.targets.map((t) => `| ${t.target} | ${fmtRatio(t.ratio)} | ${t.pass === undefined ? 'not measured' : t.pass ? 'PASS' : 'FAIL'} |`);
  const s6 = results.scenarios.filter((s) => s.id === 'S6');
  return [
    `Run ${results.date} on ${results.machine}; \`${results.command}\`.`,
    '',
    ...peerTable(results),
    '',
    'S6 (stompbox only, publisher on plain WebSocket, 100 subscribers on the transport):',
    '',
    ...(s6.length > 0 ? detailTable({ ...results, scenarios: s6 }) : ['S6 did not run.']),
    '',
    'S7 (in process, SimpleBroker, one subscriber at the published destination):',
    '',
    ...s7Table(results.s7),
    '',
    'Targets of issue 5:',
    '',
    '| target | measured | result |',
    '|---|---:|---|',
    ...targets,
    '',
    'Every run (CPU in cores over the measurement window: 1.00 is one core saturated; the broker is pinned to core 0 and the load generator to core 1):',
    '',
    ...detailTable(results),
    '',
  ].join('\n');
}
