import type { StormResult } from './loadgen/load-spec';
import { nextSection } from './report-next';
import { FLOORS, type Metric, type PeerName, type ScenarioId } from './scenarios';
import { evaluateTargets } from './targets';

export { evaluateTargets };

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
  /** S8-mem: bytes of broker RSS per retained message, and how many were retained. */
  rssPerMessage?: number;
  /** S8-mem: the same growth measured from the broker before any traffic (its young generation's growth included). */
  rssColdPerMessage?: number;
  retained?: number;
  /** Queue scenarios: after the drain, messages never received, received twice, marked redelivered. */
  lost?: number;
  duplicated?: number;
  redelivered?: number;
  /** S9's figures. */
  storm?: StormResult;
  errors: number;
  failed?: string;
  /** Why the run did not happen: `pending: ...` (the peer lacks the capability) or `absent: ...` (no such peer here). */
  skipped?: string;
  /** What the peer said about itself (pinning, installs) or the run (a transport fallback). */
  notes?: string[];
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
  /** Why it was not measured, when a run it needs was skipped (`pending: ...`, `absent: ...`). */
  skipped?: string;
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
  if (m === undefined || m.failed !== undefined || m.skipped !== undefined) return undefined;
  if (metric === 'delivered/s' || metric === 'acked/s') return m.deliveredPerSec;
  if (metric === 'requests/s') return m.publishedPerSec;
  if (metric === 'p99 ms') return m.p99;
  if (metric === 'RSS/conn') return m.rssPerConn;
  if (metric === 'RSS/msg') return m.rssPerMessage;
  if (metric === 'recover ms') return m.storm?.recoverMs ?? m.storm?.acceptedPerSec;
  return undefined;
}

/** A figure as the tables show it. */
export function fmt(n: number | undefined, metric: Metric): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (metric === 'delivered/s' || metric === 'acked/s' || metric === 'requests/s') return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`;
  if (metric === 'RSS/msg') return `${n.toFixed(0)} B`;
  if (metric === 'recover ms') return `${n.toFixed(0)} ms`;
  if (metric === 'p99 ms') return n.toFixed(2);
  if (metric === 'RSS/conn') return `${(n / 1024).toFixed(1)} KiB`;
  return n.toFixed(0);
}

/** a / b, undefined when either is missing or b is 0. */
export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
/**
 * a / b over runs measured side by side: the median of each round's ratio when both have the
 * same number of repeats (the runner interleaves them, so round i of each ran next to the
 * other, and a slow spell of the machine cancels out), else the ratio of their medians.
 */
export function pairedRatio(a: Measurement | undefined, b: Measurement | undefined, metric: Metric): number | undefined {
  const ra = a?.repeats;
  if (ra === undefined || ra.length < 2 || ra.length !== b?.repeats?.length) return ratio(figure(a, metric), figure(b, metric));
  const rounds = roundRatios(a, b);
  return rounds.length === 0 ? undefined : rounds[Math.floor((rounds.length - 1) / 2)];
}

/** Each round's a / b, lowest first (rounds where either failed left out); empty unless both have the same repeats. */
export function roundRatios(a: Measurement | undefined, b: Measurement | undefined): number[] {
  const ra = a?.repeats;
  const rb = b?.repeats;
  if (ra === undefined || rb === undefined || ra.length !== rb.length) return [];
  return ra.map((x, i) => x / rb[i]).filter((r) => Number.isFinite(r) && r > 0).sort((x, y) => x - y);
}

/** A ratio as the tables show it. */
export const fmtRatio = (r: number | undefined): string => (r === undefined ? '—' : `${r.toFixed(2)}×`);

/** The measurement labelled `peer` in a scenario. */
export function byPeer(s: ScenarioResult, peer: string): Measurement | undefined {
  return s.runs.find((m) => m.label === peer);
}

/**
 * The best figure of the three floors in a scenario: the highest rate, or the lowest latency or
 * memory. Targets against "the floor" use it, so none is met against a floor that was slowed
 * by its own writes (the plain floor saturates below S3's 100k deliveries a second on a slow
 * core, and its p99 then measures its queue).
 */
export function bestFloor(s: ScenarioResult): number | undefined {
  const figures = FLOORS.map((p) => figure(byPeer(s, p), s.metric)).filter((n): n is number => n !== undefined);
  if (figures.length === 0) return undefined;
  return s.metric === 'delivered/s' ? Math.max(...figures) : Math.min(...figures);
}

const ISSUE5: readonly ScenarioId[] = ['S1', 'S2', 'S3', 'S4', 'S5'];

/** The main table: one row per peer scenario, the ratios stompbox / corked floor, / framed floor and / stomp-broker-js. */
function peerTable(results: BenchResults): string[] {
  const lines = [
    '| scenario | metric | stompbox | floor | floor (corked) | floor (framed) | stomp-broker-js | stompbox / corked floor | stompbox / framed floor | stompbox / stomp-broker-js |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of results.scenarios.filter((x) => ISSUE5.includes(x.id))) {
    const f = (p: PeerName): number | undefined => figure(byPeer(s, p), s.metric);
    const sb = f('stompbox');
    const cells = (['stompbox', 'floor', 'floor-corked', 'floor-framed', 'stomp-broker-js'] as const).map((p) => fmt(f(p), s.metric));
    const ratios = (['floor-corked', 'floor-framed', 'stomp-broker-js'] as const).map((p) => fmtRatio(ratio(sb, f(p))));
    lines.push(`| ${s.id} ${s.title} | ${s.metric} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
  }
  return lines;
}

/** Every run of `results`' scenarios, one row each. */
export function detailTable(results: Pick<BenchResults, 'scenarios'>): string[] {
  const lines = [
    '| scenario | peer / transport | delivered/s | published/s | p50 / p90 / p99 ms | RSS/conn | broker CPU | loadgen CPU | errors | repeats (lowest – highest) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const cores = (n: number | undefined): string => (n === undefined ? '—' : n.toFixed(2));
  for (const s of results.scenarios) {
    for (const m of s.runs) {
      if (m.failed !== undefined || m.skipped !== undefined) {
        const why = m.skipped ?? `failed: ${m.failed}`;
        lines.push(`| ${s.id} | ${m.label} | ${why.replace(/\|/g, '/').slice(0, 160)} | | | | | | | |`);
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

/** The whole report as Markdown (also what the terminal shows). */
export function markdown(results: BenchResults): string {
  const verdict = (t: TargetResult): string => (t.pass === undefined ? (t.skipped?.split(':')[0] ?? 'not measured') : t.pass ? 'PASS' : 'FAIL');
  const targets = results.targets.map((t) => `| ${t.target} | ${fmtRatio(t.ratio)} | ${verdict(t)} |`);
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
    ...nextSection(results),
    'Targets (issue 5, then issues 15–17; "pending" is a stompbox capability not there yet, its reason in the table of every run):',
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
