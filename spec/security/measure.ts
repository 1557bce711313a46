/**
 * What an attack did to a child broker, measured from outside, and one assertion over all of
 * it. `Measurement.begin()` takes the baseline (RSS after a full collection, CPU time) and
 * starts sampling RSS; `end()` gathers the figures: did the process live, the bystander's
 * round trips and order, peak and retained RSS growth, CPU used, the child's longest
 * event-loop delay. `expectWithin()` fails with every violated bound and every figure, so a
 * failing run says by how much (the issue's "failing-then-passing" evidence), and `log()`
 * prints the figures of a passing one.
 */
import type { Bystander, BystanderReport } from '../helpers/bystander';
import { mb, type ChildBroker, type RssWatch } from '../helpers/child-broker';

/**
 * Longest event-loop delay the attacked broker may show, ms: the direct measure of a stall.
 * A healthy broker shows a few ms; the stalls of the findings are 1 s to minutes.
 */
export const ATTACK_MAX_LOOP_DELAY_MS = 400;

/**
 * Longest round trip a bystander may see while a broker is attacked, ms. Looser than the
 * event-loop bound: the bystander's trip also crosses the test process and the OS scheduler,
 * and on two cores shared with Chromium and other test files one trip of ~500 ms was seen
 * while the broker's loop never waited more than 9 ms.
 */
export const ATTACK_MAX_RTT_MS = 1500;

/**
 * How long a bystander's message may stay in flight before the harness kills the broker, ms:
 * a stall this long already fails every bound, and some findings stall for minutes.
 */
export const STALL_CAP_MS = 5000;

/** Figures of one attack. */
export interface Figures {
  readonly label: string;
  /** `running`, or how the process ended (code or signal, and its stderr). */
  readonly process: string;
  readonly bystander: BystanderReport | undefined;
  readonly rssBaselineMB: number;
  readonly rssPeakGrowthMB: number;
  /** RSS growth after a full collection at the end (what the broker retained), MB; undefined when the child did not answer. */
  readonly rssRetainedGrowthMB: number | undefined;
  /** Growth of the JS heap plus the memory of Buffers and ArrayBuffers (`external`) after a full collection at the end, MB: what the broker still holds, whatever the allocator keeps in RSS. */
  readonly heapRetainedGrowthMB: number | undefined;
  readonly cpuMs: number;
  /** The child's longest event-loop delay during the attack, ms (undefined when it did not answer). */
  readonly loopDelayMs: number | undefined;
  readonly elapsedMs: number;
}

/** Bounds an attacked broker must stay within; unset ones are not checked. */
export interface Bounds {
  /** @defaultValue {@link ATTACK_MAX_RTT_MS} */
  readonly maxRttMs?: number;
  /** @defaultValue {@link ATTACK_MAX_LOOP_DELAY_MS} */
  readonly maxLoopDelayMs?: number;
  readonly rssPeakGrowthMB?: number;
  readonly rssRetainedGrowthMB?: number;
  readonly heapRetainedGrowthMB?: number;
  readonly cpuMs?: number;
}

export class Measurement {
  private constructor(
    private readonly label: string,
    private readonly broker: ChildBroker,
    private readonly bystander: Bystander | undefined,
    private readonly baseline: { rss: number; heap: number; cpu: number; at: number },
    private readonly watch: RssWatch,
  ) {
    if (bystander === undefined) return;
    this.stallTimer = setInterval(() => {
      const waited = bystander.oldestInFlight();
      if (waited > STALL_CAP_MS) void broker.kill(`stalled: the bystander waited ${Math.round(waited)} ms for a round trip, past the harness cap of ${STALL_CAP_MS} ms`);
    }, 100);
    this.stallTimer.unref(); // a test that failed before end() must not keep jest running
  }

  private readonly stallTimer: ReturnType<typeof setInterval> | undefined;

  /** Takes the baseline after a full collection in the child, then starts sampling RSS. */
  static async begin(label: string, broker: ChildBroker, bystander?: Bystander): Promise<Measurement> {
    const memory = await broker.memory(true);
    await broker.loopDelay(); // resets the child's maximum
    const baseline = { rss: broker.rss() || memory.rss, heap: memory.heapUsed + memory.external, cpu: broker.cpuMs(), at: Date.now() };
    return new Measurement(label, broker, bystander, baseline, broker.watchRss());
  }

  /**
   * Gathers the figures. Waits up to `settleMs` for the bystander's messages in flight, and up
   * to 3 s for the child to answer each request: a child stuck for good is reported as such.
   */
  async end(settleMs = 3000): Promise<Figures> {
    const { broker, bystander, baseline } = this;
    // Two more round trips after the attack: the broker went on serving (or it did not). Then
    // publishing pauses while what is in flight comes back, so the count compares exactly.
    if (bystander?.alive === true && broker.alive) {
      await bystander.more(2, settleMs).catch(() => undefined);
      bystander.pause();
      await bystander.caughtUp(settleMs).catch(() => undefined);
    }
    const report = bystander?.report();
    bystander?.resume();
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    const peak = this.watch.stop();
    const cpuMs = broker.alive ? broker.cpuMs() - baseline.cpu : Number.NaN;
    const loopDelayMs = broker.alive ? await broker.loopDelay(3000).catch(() => undefined) : undefined;
    const retained = broker.alive ? await broker.memory(true, 3000).catch(() => undefined) : undefined;
    const retainedRss = retained === undefined ? undefined : broker.rss();
    return {
      label: this.label,
      process: broker.alive ? 'running' : broker.describeExit(),
      bystander: report,
      rssBaselineMB: mb(baseline.rss),
      rssPeakGrowthMB: mb(peak - baseline.rss),
      rssRetainedGrowthMB: retainedRss === undefined ? undefined : mb(retainedRss - baseline.rss),
      heapRetainedGrowthMB: retained === undefined ? undefined : mb(retained.heapUsed + retained.external - baseline.heap),
      cpuMs: Math.round(cpuMs),
      loopDelayMs: loopDelayMs === undefined ? undefined : Math.round(loopDelayMs),
      elapsedMs: Date.now() - baseline.at,
    };
  }
}

/** The figures as one line. */
export function describeFigures(f: Figures): string {
  const b = f.bystander;
  const by = b === undefined ? 'no bystander' : `bystander max RTT ${b.maxRttMs} ms (median ${b.medianRttMs}), ${b.received}/${b.sent} back, ${b.inOrder ? 'in order' : 'OUT OF ORDER'}, ${b.alive ? 'alive' : 'LOST'}`;
  return [
    `process ${f.process}`,
    by,
    `RSS ${f.rssBaselineMB} MB +${f.rssPeakGrowthMB} MB peak, ${f.rssRetainedGrowthMB === undefined ? '?' : `+${f.rssRetainedGrowthMB}`} MB retained (heap and buffers ${f.heapRetainedGrowthMB === undefined ? '?' : `+${f.heapRetainedGrowthMB}`} MB)`,
    `CPU ${Number.isNaN(f.cpuMs) ? '?' : f.cpuMs} ms`,
    `event-loop delay ${f.loopDelayMs === undefined ? 'no answer' : `${f.loopDelayMs} ms`}`,
    `${f.elapsedMs} ms`,
  ].join('; ');
}

/** Prints the figures (one line per attack, prefixed so they are easy to grep). */
export function log(f: Figures, extra = ''): void {
  // eslint-disable-next-line no-console
  console.log(`[attack] ${f.label}: ${describeFigures(f)}${extra === '' ? '' : `; ${extra}`}`);
}

/**
 * Fails unless the process lives, the bystander stayed connected, in order and within the
 * round-trip bound, and every other set bound holds; the error lists each violation and all
 * the figures.
 */
export function expectWithin(f: Figures, bounds: Bounds = {}): void {
  const maxRtt = bounds.maxRttMs ?? ATTACK_MAX_RTT_MS;
  const violations: string[] = [];
  if (f.process !== 'running') violations.push(`the broker process ended (${f.process})`);
  const b = f.bystander;
  if (b !== undefined) {
    if (!b.alive) violations.push('the bystander lost its session');
    if (!b.inOrder) violations.push('the bystander received out of order');
    if (b.received < b.sent) violations.push(`the bystander got ${b.received} of ${b.sent} messages back`);
    if (b.maxRttMs > maxRtt) violations.push(`the bystander's round trip reached ${b.maxRttMs} ms (bound ${maxRtt} ms)`);
  }
  const over = (name: string, value: number | undefined, bound: number | undefined, unit: string): void => {
    if (bound === undefined) return;
    if (value === undefined || Number.isNaN(value)) violations.push(`${name} could not be measured (bound ${bound} ${unit})`);
    else if (value > bound) violations.push(`${name} was ${value} ${unit} (bound ${bound} ${unit})`);
  };
  over('peak RSS growth', f.rssPeakGrowthMB, bounds.rssPeakGrowthMB, 'MB');
  over('retained RSS growth', f.rssRetainedGrowthMB, bounds.rssRetainedGrowthMB, 'MB');
  over('retained heap and buffer growth', f.heapRetainedGrowthMB, bounds.heapRetainedGrowthMB, 'MB');
  over('CPU', f.cpuMs, bounds.cpuMs, 'ms');
  if (f.process === 'running') over("the broker's event-loop delay", f.loopDelayMs, bounds.maxLoopDelayMs ?? ATTACK_MAX_LOOP_DELAY_MS, 'ms');
  if (violations.length > 0) throw new Error(`${f.label}: ${violations.join('; ')}.\nFigures: ${describeFigures(f)}`);
}
