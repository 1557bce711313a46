/**
 * The fuzz loop: cases drawn from an arbitrary, one after another, against a child-process
 * broker with a bystander, bounded in count and in time. Case `i` of a run is
 * `fc.sample(arbitrary, { seed: caseSeed(seed, i), numRuns: 1 })`, so a failure names its seed
 * and index and `FUZZ_SEED=<seed> FUZZ_CASE=<i>` replays exactly that case.
 *
 * After every case the invariants are checked: the process has not exited, the bystander is
 * connected with nothing in flight for longer than the round-trip bound, RSS is within its
 * bound over the baseline; `runCase` checks the case's own oracle (its connection ends open
 * and answering, or closed, within a bounded wait; nothing came back that should not). The
 * first violation stops the run with the seed, the index, the case and every figure.
 *
 * Environment (see spec/security/README.md): `FUZZ_SEED` (default: random, printed),
 * `FUZZ_RUNS` (cases per target), `FUZZ_SECONDS` (seconds per target), `FUZZ_CASE` (replay
 * one case).
 */
import fc from 'fast-check';
import type { Bystander } from '../../helpers/bystander';
import { mb, type ChildBroker } from '../../helpers/child-broker';
import { describeFigures, Measurement } from '../measure';

/** RSS growth over the baseline the broker may reach during a fuzz run, MB. */
export const FUZZ_RSS_BOUND_MB = 150;
/** Longest round trip the bystander may see during a fuzz run, ms (the fuzzer loads the machine too). */
export const FUZZ_RTT_BOUND_MS = 1000;
/** Longest time one case may take, ms: a case that never finishes is a hang. */
const CASE_TIMEOUT_MS = 15000;

export interface FuzzSettings {
  readonly seed: number;
  readonly runs: number;
  readonly seconds: number;
  /** Replay only this case index. */
  readonly only: number | undefined;
}

/** Settings from the environment, with per-target defaults for CI. */
export function fuzzSettings(defaults: { runs: number; seconds: number }): FuzzSettings {
  const env = process.env;
  const int = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number.parseInt(v, 10));
  const only = int(env.FUZZ_CASE);
  return {
    seed: int(env.FUZZ_SEED) ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0,
    runs: int(env.FUZZ_RUNS) ?? defaults.runs,
    seconds: int(env.FUZZ_SECONDS) ?? defaults.seconds,
    only,
  };
}

/** What a run did. */
export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly cases: number;
  readonly seconds: number;
  /** How many cases ended each way (`open`, `closed 1007`, `ERROR STOMP_ERR_…`, HTTP statuses, …). */
  readonly outcomes: Record<string, number>;
  readonly figures: string;
}

export interface FuzzRun<C> {
  readonly target: string;
  readonly broker: ChildBroker;
  readonly bystander: Bystander;
  readonly arbitrary: fc.Arbitrary<C>;
  readonly settings: FuzzSettings;
  /** Sends one case and checks its own oracle; resolves with a short outcome, throws a violation. */
  runCase(c: C, index: number): Promise<string>;
}

/** A 32-bit hash (murmur3's finalizer). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** The seed of case `i` of a run: hashed, so runs with nearby seeds share no cases. */
export function caseSeed(seed: number, i: number): number {
  return mix(mix(seed) ^ Math.imul(i + 1, 0x9e3779b1));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function show(c: unknown): string {
  const text = fc.stringify(c);
  return text.length > 3000 ? `${text.slice(0, 3000)}… (${text.length} characters)` : text;
}

/** Runs the cases and returns the report; throws on the first violation. */
export async function runFuzz<C>(run: FuzzRun<C>): Promise<FuzzReport> {
  const { broker, bystander, settings, target } = run;
  const m = await Measurement.begin(`fuzz ${target}`, broker, bystander);
  const baseline = broker.rss();
  const started = Date.now();
  const outcomes: Record<string, number> = {};
  const indexes = settings.only === undefined ? undefined : [settings.only];
  let cases = 0;
  let previous: string | undefined;
  const replay = (i: number): string => `FUZZ_SEED=${settings.seed} FUZZ_CASE=${i}`;
  // eslint-disable-next-line no-console
  console.log(`[fuzz] ${target}: seed ${settings.seed}, up to ${settings.runs} cases or ${settings.seconds} s`);
  for (let k = 0; k < (indexes?.length ?? settings.runs); k++) {
    if (indexes === undefined && Date.now() - started > settings.seconds * 1000) break;
    const i = indexes?.[k] ?? k;
    const c = fc.sample(run.arbitrary, { seed: caseSeed(settings.seed, i), numRuns: 1 })[0];
    const fail = (violation: string): never => {
      throw new Error(
        `fuzz ${target}: ${violation}\n  at case ${i} of seed ${settings.seed} (replay: ${replay(i)})\n  case: ${show(c)}` +
          (previous === undefined ? '' : `\n  previous case: ${previous}`) +
          `\n  broker: ${broker.describeExit()}; RSS +${mb(broker.rss() - baseline)} MB; bystander ${JSON.stringify(bystander.report())}` +
          (broker.stderr === '' ? '' : `\n  broker stderr (end): ${broker.stderr.slice(-800).trim()}`),
      );
    };
    let outcome: string | undefined;
    let caseError: Error | undefined;
    try {
      outcome = await withTimeout(run.runCase(c, i), CASE_TIMEOUT_MS, 'the case');
    } catch (err) {
      caseError = err as Error;
    }
    // An IPC round trip after the case: the child went on running (a crash closes the channel) and how long its event loop was held.
    const loopDelay = await broker.loopDelay(5000).catch(() => undefined);
    if (loopDelay === undefined || !broker.alive) {
      await Promise.race([broker.exited, new Promise((r) => setTimeout(r, 1000))]);
      fail(`the broker process ended: ${broker.describeExit()}${caseError === undefined ? '' : ` (the case then failed: ${caseError.message})`}`);
    }
    if (caseError !== undefined) fail(caseError.message);
    if (loopDelay! > FUZZ_RTT_BOUND_MS) fail(`the broker's event loop was held for ${Math.round(loopDelay!)} ms (bound ${FUZZ_RTT_BOUND_MS} ms)`);
    cases++;
    outcomes[outcome!] = (outcomes[outcome!] ?? 0) + 1;
    if (!bystander.alive) fail(`the bystander lost its session (${bystander.lostReason})`);
    const waited = bystander.oldestInFlight();
    if (waited > FUZZ_RTT_BOUND_MS) fail(`the bystander has waited ${Math.round(waited)} ms for a round trip (bound ${FUZZ_RTT_BOUND_MS} ms)`);
    const growth = mb(broker.rss() - baseline);
    if (growth > FUZZ_RSS_BOUND_MB) fail(`RSS grew by ${growth} MB (bound ${FUZZ_RSS_BOUND_MB} MB)`);
    previous = `${i}: ${show(c).slice(0, 300)}`;
  }
  const figures = await m.end();
  const b = figures.bystander;
  if (figures.process !== 'running') throw new Error(`fuzz ${target}: the broker process ended after the last case: ${figures.process}`);
  if (b !== undefined && (!b.inOrder || b.received < b.sent || b.maxRttMs > FUZZ_RTT_BOUND_MS)) {
    throw new Error(`fuzz ${target}: the bystander ${!b.inOrder ? 'received out of order' : b.received < b.sent ? `got ${b.received} of ${b.sent} back` : `saw a round trip of ${b.maxRttMs} ms`} (seed ${settings.seed}).\nFigures: ${describeFigures(figures)}`);
  }
  if (figures.rssPeakGrowthMB > FUZZ_RSS_BOUND_MB) throw new Error(`fuzz ${target}: peak RSS grew by ${figures.rssPeakGrowthMB} MB (bound ${FUZZ_RSS_BOUND_MB} MB, seed ${settings.seed})`);
  const report: FuzzReport = { target, seed: settings.seed, cases, seconds: Math.round((Date.now() - started) / 100) / 10, outcomes, figures: describeFigures(figures) };
  // eslint-disable-next-line no-console
  console.log(`[fuzz] ${target}: ${cases} cases in ${report.seconds} s, seed ${settings.seed}; ${report.figures}; outcomes ${JSON.stringify(outcomes)}`);
  return report;
}
