import { performance } from 'node:perf_hooks';
import { BrokerMessage } from '../broker/messaging/broker-message';
import type { Subscriber, Subscription } from '../broker/messaging/message-broker';
import { SimpleBroker } from '../broker/messaging/simple-broker';

/**
 * S7, in process: the cost of one publish to a destination with one subscriber while N
 * unrelated subscriptions exist, for N = 1k … 1M, with the unrelated ones exact or patterns.
 * The registry must never scan, so the cost must stay flat. Run by the runner as a child
 * process (pinned to the broker's core); argv[2] is the JSON list of sizes; prints one JSON
 * line `{ exact: { [n]: ns }, pattern: { [n]: ns } }`.
 */
type Kind = 'exact' | 'pattern';

const TARGET = '/topic/bench';
const BODY = new Uint8Array(128).fill(0x78);
const PUBLISHES = 200_000;
const WARMUP_ROUNDS = 3;
const ROUNDS = 7;
const SUBS_PER_SESSION = 100;

let deliveries = 0;

function subscriber(i: number): Subscriber {
  return {
    sessionId: `s${i}`,
    user: undefined,
    deliver: () => {
      deliveries++;
    },
  };
}

/** Unrelated destinations: distinct exact topics, or three shapes of pattern that share a trie path with the target. */
function unrelated(kind: Kind, i: number): string {
  if (kind === 'exact') return `/topic/u.${i}`;
  switch (i % 3) {
    case 0:
      return `/topic/u${i}/*`;
    case 1:
      return `/topic/*/u${i}`;
    default:
      return `/**/u${i}`;
  }
}

function build(kind: Kind, n: number): SimpleBroker {
  const broker = new SimpleBroker();
  let session = subscriber(0);
  for (let i = 0; i < n; i++) {
    if (i % SUBS_PER_SESSION === 0) session = subscriber(i);
    const sub: Subscription = { id: `sub-${i}`, destination: unrelated(kind, i), ack: 'auto', subscriber: session };
    void broker.subscribe(sub);
  }
  void broker.subscribe({ id: 'sub-0', destination: TARGET, ack: 'auto', subscriber: subscriber(-1) });
  return broker;
}

/** Mean ns per publish over one round (a new BrokerMessage each, as a SEND makes). */
function round(broker: SimpleBroker): number {
  const before = deliveries;
  const t0 = performance.now();
  for (let i = 0; i < PUBLISHES; i++) void broker.publish(new BrokerMessage(TARGET, BODY, 'text/plain', [], undefined, true));
  const ns = ((performance.now() - t0) * 1e6) / PUBLISHES;
  if (deliveries - before !== PUBLISHES) throw new Error(`expected ${PUBLISHES} deliveries, got ${deliveries - before}`);
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Every size of one kind built side by side and measured in interleaved rounds, the median
 * per size. Measuring the sizes one after another would give each its own JIT and GC state
 * (the first rounds of a process, or those right after building a million subscriptions while
 * the collector still works on the same pinned core, run up to 5x slower): interleaving puts
 * every size through the same conditions, so the ratio compares like with like.
 */
function measureKind(kind: Kind, sizes: number[]): Record<number, number> {
  const brokers = sizes.map((n) => build(kind, n));
  (globalThis as { gc?: () => void }).gc?.();
  const rounds: number[][] = sizes.map(() => []);
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    for (let i = 0; i < sizes.length; i++) {
      const ns = round(brokers[i]);
      if (r >= WARMUP_ROUNDS) rounds[i].push(ns);
    }
  }
  return Object.fromEntries(sizes.map((n, i) => [n, median(rounds[i])]));
}

function main(): void {
  const sizes = JSON.parse(process.argv[2] ?? '[1000,10000,100000,1000000]') as number[];
  const out: Record<Kind, Record<number, number>> = { exact: measureKind('exact', sizes), pattern: {} };
  (globalThis as { gc?: () => void }).gc?.();
  out.pattern = measureKind('pattern', sizes);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main();
