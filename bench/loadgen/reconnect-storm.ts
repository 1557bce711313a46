import { performance } from 'node:perf_hooks';
import { inBatches } from './lanes';
import type { LoadResult, LoadSpec, StormResult } from './load-spec';
import { sleep, tell } from './measure-window';
import { StompClient, type Target } from './stomp-client';
import { fixedBody, headerValue, sendFrame, subscribeFrame } from './stomp-frames';

const DESTINATION = '/topic/storm';
/** Longest wait for any one phase (subscribing, live delivery, recovery), in ms. */
const PHASE_MS = 60_000;

/** One subscriber across its two sessions: where it is in the topic's history and what recovery brought. */
interface Position {
  /** Offset of the newest message received, -1 before any. */
  last: number;
  epoch: string | undefined;
  /** Messages received in the current phase. */
  received: number;
  /** While recovering: the offset expected next, and what arrived out of line. */
  expected: number;
  gaps: number;
  duplicated: number;
  client: StompClient | undefined;
}

function track(pos: Position): (buf: Buffer, start: number, end: number) => void {
  return (buf, start, end) => {
    pos.received++;
    const offset = Number(headerValue(buf, start, end, 'x-stream-offset') ?? Number.NaN);
    pos.epoch = headerValue(buf, start, end, 'x-stream-epoch') ?? pos.epoch;
    if (!Number.isInteger(offset)) return;
    if (pos.expected >= 0) {
      if (offset < pos.expected) pos.duplicated++;
      else if (offset > pos.expected) pos.gaps += offset - pos.expected;
      pos.expected = Math.max(pos.expected, offset + 1);
    }
    pos.last = Math.max(pos.last, offset);
  };
}

/** Resolves once `done()` holds, polling every 10 ms; rejects with `what` after {@link PHASE_MS}. */
async function until(done: () => boolean, what: string): Promise<number> {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > PHASE_MS) throw new Error(`storm: ${what} did not happen within ${PHASE_MS} ms`);
    await sleep(10);
  }
  return performance.now();
}

/**
 * The reconnect storm (S9). `resume`: `subscribers` sessions subscribe to one retained topic;
 * `messages` are published live (the baseline: first SEND to the last MESSAGE at every
 * subscriber); then every session drops at once, `messages` more are published (receipts
 * awaited), and every subscriber reconnects and subscribes with
 * `x-stream-offset:offset=<last+1>` and its `x-stream-epoch`. The figures: first reconnect to
 * the last recovered message, subscribers that got each missed message once and in order, and
 * CONNECTED frames per second over the reconnect. The reconnect is the measurement window: the
 * runner samples the broker's CPU over it and the load generator reports its own, so the report
 * shows which side bounded the storm. `accept`: only the drop and reconnect, for a floor without
 * retention.
 */
export async function runStorm(spec: LoadSpec, target: Target): Promise<LoadResult> {
  const st = spec.storm!;
  const t0 = performance.now();
  const positions: Position[] = Array.from({ length: st.subscribers }, () => ({ last: -1, epoch: undefined, received: 0, expected: -1, gaps: 0, duplicated: 0, client: undefined }));
  const resume = st.mode === 'resume';
  const publisher = new StompClient('ws', target);
  await publisher.connect();
  let errors = 0;
  const open = async (pos: Position, subscribe: Record<string, string> | undefined): Promise<void> => {
    const c = new StompClient('ws', target, track(pos));
    pos.client = c;
    await c.connect();
    if (subscribe !== undefined) c.send(subscribeFrame('sub-0', DESTINATION, 'sub-0', subscribe));
  };
  await inBatches(st.subscribers, st.concurrency, (i) => open(positions[i], resume ? {} : undefined));
  if (resume) await until(() => positions.every((p) => p.client!.counts.receipt > 0), 'every SUBSCRIBE receipted');

  const result: StormResult = { subscribers: st.subscribers, acceptedPerSec: 0 };
  if (resume) {
    const live0 = performance.now();
    publisher.sendAll(Array.from({ length: st.messages }, () => sendFrame(DESTINATION, fixedBody())));
    result.liveMs = (await until(() => positions.every((p) => p.received >= st.messages), 'live delivery')) - live0;
  }

  for (const p of positions) {
    errors += p.client!.counts.error;
    p.client!.close();
  }
  if (resume) {
    const base = publisher.counts.receipt;
    publisher.sendAll(Array.from({ length: st.messages }, (_, i) => sendFrame(DESTINATION, fixedBody(), `away-${i}`)));
    await until(() => publisher.counts.receipt >= base + st.messages, 'receipts for the messages sent while away');
  } else await sleep(200);

  for (const p of positions) {
    p.received = 0;
    p.expected = p.last + 1;
  }
  let lastConnected = 0;
  // The storm is the measurement window: the runner samples the broker's CPU over it.
  tell({ type: 'window', phase: 'start' });
  const stormCpu0 = process.cpuUsage();
  const storm0 = performance.now();
  await inBatches(st.subscribers, st.concurrency, async (i) => {
    const p = positions[i];
    const from = { 'x-stream-offset': `offset=${p.last + 1}`, ...(p.epoch === undefined ? {} : { 'x-stream-epoch': p.epoch }) };
    await open(p, resume ? from : undefined);
    lastConnected = performance.now();
  });
  result.acceptedPerSec = st.subscribers / ((lastConnected - storm0) / 1000);
  if (resume) {
    const end = await until(() => positions.every((p) => p.received >= st.messages), 'recovery of every missed message').catch(() => performance.now());
    result.recoverMs = end - storm0;
    const whole = (p: Position): boolean => p.received === st.messages && p.gaps === 0 && p.duplicated === 0 && p.expected === p.last + 1;
    result.recovered = positions.filter(whole).length;
    result.missing = positions.reduce((n, p) => n + Math.max(0, st.messages - p.received) + p.gaps, 0);
    result.duplicated = positions.reduce((n, p) => n + p.duplicated, 0);
  }
  const stormMs = resume ? result.recoverMs! : lastConnected - storm0;
  const stormCpu = process.cpuUsage(stormCpu0);
  tell({ type: 'window', phase: 'end' });
  for (const p of positions) {
    errors += p.client!.counts.error;
    p.client!.close();
  }
  errors += publisher.counts.error;
  publisher.close();
  const seconds = (performance.now() - t0) / 1000;
  return {
    deliveredPerSec: 0,
    publishedPerSec: 0,
    delivered: 0,
    seconds,
    storm: result,
    // Over the storm alone: whether the load generator's core was the bound.
    loadgenCpu: { cores: (stormCpu.user + stormCpu.system) / 1000 / stormMs },
    errors,
  };
}

