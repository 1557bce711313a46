import { performance } from 'node:perf_hooks';
import { runHttpPublish } from './http-publish';
import { closeLanes, delivered, inBatches, openLanes, published, Pump, type Lane, type LaneOptions } from './lanes';
import { runQueue } from './queue-driver';
import { runRetainFill } from './retain-fill';
import { runStorm } from './reconnect-storm';
import type { LoadResult, LoadSpec } from './load-spec';
import { measureWindow, sleep, tell } from './measure-window';
import { StompClient, type Target } from './stomp-client';
import { fixedBody, sendFrame, stampedBody, STAMP_WIDTH, subscribeFrame } from './stomp-frames';

/**
 * The load generator: one process (pinned to its own core by the runner) that opens every
 * client connection of a scenario, drives it, and reports what it measured as one JSON line
 * and an IPC message. It tells the runner when its measurement window opens and closes so
 * the runner samples the broker's CPU over the same window.
 */
const spec = JSON.parse(process.argv[2]) as LoadSpec;
const target: Target = {
  port: spec.port,
  wsPath: spec.wsPath,
  sockjsPrefix: spec.sockjsPrefix,
  tcpPort: spec.tcpPort,
  wsPort: spec.wsPort,
  connect: spec.connect,
};

/**
 * S12's selector: every subscriber asks for `bench-half = 'yes'`; the publisher alternates
 * `yes` and `non` (same length, so every pre-encoded frame is the same size).
 */
const SELECTOR: NonNullable<LaneOptions['selector']> = {
  subscribe: { selector: "bench-half = 'yes'" },
  match: { 'bench-half': 'yes' },
  other: { 'bench-half': 'non' },
};

/** The header line of `bytes` bytes (`x-pad:ppp…` and its LF) that {@link LoadSpec.padding} asks for. */
function paddingHeader(bytes: number | undefined): Record<string, string> | undefined {
  return bytes === undefined || bytes === 0 ? undefined : { 'x-pad': 'p'.repeat(Math.max(0, bytes - 'x-pad:\n'.length)) };
}

function laneOptions(lanes: number, fanout: number, selector?: LaneOptions['selector']): LaneOptions {
  return { transport: spec.transport, publisherTransport: spec.publisherTransport, lanes, fanout, selector, ssePath: spec.ssePath };
}

function errors(lanes: Lane[]): number {
  let n = 0;
  for (const lane of lanes) for (const c of [lane.publisher, ...lane.subscribers]) n += c.counts.error;
  return n;
}

async function runFanout(): Promise<LoadResult> {
  const selector = spec.selector === true ? SELECTOR : undefined;
  const lanes = await openLanes(target, laneOptions(spec.lanes, spec.fanout, selector), (lane) => () => {
    lane.delivered++;
  });
  const pump = new Pump(lanes, spec.window, selector, paddingHeader(spec.padding));
  const w = await measureWindow(
    spec,
    
    () => delivered(lanes),
    () => published(lanes),
  );
  pump.stop();
  const errs = errors(lanes);
  closeLanes(lanes);
  return {
    deliveredPerSec: w.delivered / w.seconds,
    publishedPerSec: w.published / w.seconds,
    delivered: w.delivered,
    seconds: w.seconds,
    loadgenCpu: { cores: w.cores },
    errors: errs,
  };
}

async function runLatency(): Promise<LoadResult> {
  let recording = false;
  const capacity = Math.ceil(spec.rate * spec.fanout * (spec.measureMs / 1000) * 1.5) + 1000;
  const samples = new Float64Array(capacity);
  let n = 0;
  const lanes = await openLanes(target, laneOptions(1, spec.fanout), (lane) => (buf, start, end) => {
    lane.delivered++;
    if (!recording || n >= capacity) return;
    const body = buf.indexOf('\n\n', start) + 2;
    if (body < 2 || body + STAMP_WIDTH > end) return;
    samples[n++] = performance.now() - Number(buf.toString("latin1", body, body + STAMP_WIDTH));
  });
  const lane = lanes[0];
  const t0 = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * spec.rate) / 1000) - sent;
    for (let i = 0; i < due; i++) lane.publisher.send(sendFrame(lane.destination, stampedBody(performance.now())));
    sent += due;
    lane.published += due;
  }, 1);
  const w = await measureWindow(
    spec,
    
    () => lane.delivered,
    () => lane.published,
    () => (recording = true),
  );
  recording = false;
  clearInterval(timer);
  const errs = errors(lanes);
  closeLanes(lanes);
  const sorted = samples.subarray(0, n).sort();
  const at = (q: number): number => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.floor(q * n))]);
  return {
    deliveredPerSec: w.delivered / w.seconds,
    publishedPerSec: w.published / w.seconds,
    delivered: w.delivered,
    seconds: w.seconds,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    samples: n,
    loadgenCpu: { cores: w.cores },
    errors: errs,
  };
}

async function runIdle(): Promise<LoadResult> {
  const t0 = performance.now();
  // Heart-beats from the client side every 4 s against the negotiated 10 s, from the first
  // connection on: opening thousands can take longer than a broker's heart-beat deadline.
  const live: StompClient[] = [];
  const beat = setInterval(() => {
    for (const c of live) c.send('\n');
  }, 4000);
  const clients = await inBatches(spec.connections, 100, async (i) => {
    const c = new StompClient('ws', target);
    await c.connect('10000,10000');
    live.push(c);
    c.send(subscribeFrame('sub-0', `/topic/idle.${i}`));
    return c;
  });
  // Proof that every SUBSCRIBE took effect, for brokers that send no RECEIPT for SUBSCRIBE or
  // SEND (stomp-broker-js drops both): a separate publisher sends to each destination until
  // its subscriber has received one message.
  const publisher = new StompClient('ws', target);
  await publisher.connect();
  // Re-sent only every 10 s: stomp-broker-js scans every subscription per SEND, so 5,000
  // probes take it seconds and re-sending sooner would only pile more work on it.
  const deadline = performance.now() + 90_000;
  let resendAt = 0;
  for (;;) {
    const missing = clients.flatMap((c, i) => (c.counts.message === 0 ? [i] : []));
    if (missing.length === 0) break;
    const now = performance.now();
    if (now > deadline) throw new Error(`${missing.length} idle subscriptions never received the probe`);
    if (now >= resendAt) {
      for (const i of missing) publisher.send(sendFrame(`/topic/idle.${i}`, fixedBody()));
      resendAt = now + 10_000;
    }
    await sleep(200);
  }
  publisher.close();
  const connectSeconds = (performance.now() - t0) / 1000;
  tell({ type: 'idle-ready', connections: clients.length });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  clearInterval(beat);
  let errs = 0;
  for (const c of clients) {
    errs += c.counts.error;
    c.close();
  }
  return {
    deliveredPerSec: 0,
    publishedPerSec: 0,
    delivered: 0,
    seconds: 0,
    connections: clients.length,
    connectSeconds,
    loadgenCpu: { cores: 0 },
    errors: errs,
  };
}

async function main(): Promise<void> {
  const run = {
    fanout: runFanout,
    latency: runLatency,
    idle: runIdle,
    queue: () => runQueue(spec, target),
    'http-publish': () => runHttpPublish(spec),
    storm: () => runStorm(spec, target),
    'retain-fill': () => runRetainFill(spec, target),
  }[spec.kind];
  const result = await run();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  tell({ type: 'result', result });
  // Let the IPC message flush, then leave without waiting for sockets to finish closing.
  setTimeout(() => process.exit(0), 100);
}

// Nothing left to wait on while a scenario is unfinished: the broker dropped the connections.
process.on('beforeExit', () => {
  process.stderr.write('loadgen: every connection closed before the scenario finished\n');
  process.exit(1);
});

main().catch((err: unknown) => {
  process.stderr.write(`loadgen: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
