import type { LoadSpec } from './loadgen/load-spec';
import type { Transport } from './loadgen/stomp-client';
import type { Capability } from './peers/peer-ready';
import { nextScenarios } from './scenarios-next';

/**
 * The brokers measured, each started as a fresh process from `bench/peers/<name>.js`
 * (`rabbitmq` manages the machine's running broker instead, see bench/peers/rabbitmq.ts).
 */
export type PeerName = 'stompbox' | 'floor' | 'floor-corked' | 'floor-framed' | 'stomp-broker-js' | 'rabbitmq' | 'activemq' | 'http-floor' | 'floor-retained' | 'floor-socket';

/** The peers of S1–S5, in table order. */
export const PEERS: readonly PeerName[] = ['stompbox', 'floor', 'floor-corked', 'floor-framed', 'stomp-broker-js'];

/** Peers that are not Node processes of this repository: they may need installing, and take longer to start and stop. */
export const EXTERNAL_PEERS: readonly PeerName[] = ['rabbitmq', 'activemq'];

/** The three floors: the same bare broker, writing with `ws.send`, corked `ws.send`, or its own framing. */
export const FLOORS: readonly PeerName[] = ['floor', 'floor-corked', 'floor-framed'];

/**
 * Scenario ids: S1–S7 of issue 5; S8 (retention), S8-mem (its memory) and S9 (reconnect
 * storm) of issue 15; S10–S12 (queues, durable queues, selectors) of issue 16; S13 (TCP), S14
 * (SSE) and HTTP (publish) of issue 17.
 */
export type ScenarioId = 'S1' | 'S2' | 'S3' | 'S4' | 'S5' | 'S6' | 'S7' | 'S8' | 'S8-mem' | 'S9' | 'S10' | 'S11' | 'S12' | 'S13' | 'S14' | 'HTTP';

/** What a scenario reports as its headline figure. */
export type Metric = 'delivered/s' | 'p99 ms' | 'RSS/conn' | 'ns/publish' | 'acked/s' | 'requests/s' | 'recover ms' | 'RSS/msg';

/** One peer (and subscriber transport) measured in one scenario. */
export interface Run {
  scenario: ScenarioId;
  /** Column label: the peer, or the peer and what differs (`stompbox (tcp)`), or for S6 the transport. */
  label: string;
  peer: PeerName;
  spec: Omit<LoadSpec, 'port'>;
  /**
   * What the peer must support for this run (see peers/peer-ready.ts); the peer is started
   * with these switched on, and a run whose peer lacks one is reported as pending with the
   * peer's reason.
   */
  requires: Capability[];
  /** A `tcp` run may fall back to plain WebSocket when the peer has no TCP yet (stompbox's queue runs). */
  wsFallback?: boolean;
}

/** A scenario of issue 5 over the load generator. */
export interface Scenario {
  id: Exclude<ScenarioId, 'S7'>;
  title: string;
  metric: Metric;
  runs: Run[];
}

/** Durations and sizes, from the environment: `BENCH_SECONDS`, `BENCH_REPEAT`, `BENCH_QUICK=1`. */
export interface BenchSettings {
  quick: boolean;
  /** Runs of every peer in every scenario, interleaved (A B C, A B C, ...); the report keeps each peer's median. */
  repeat: number;
  warmupMs: number;
  measureMs: number;
  idleConnections: number;
  s2Fanout: number;
  s7Sizes: number[];
  /** S9's subscribers (2,000; 500 in a quick run). */
  stormSubscribers: number;
  /** S8-mem's retained messages (100,000; 20,000 in a quick run). */
  retained: number;
}

/** Reads the settings from the environment. */
export function settings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === '1';
  const seconds = Number(env.BENCH_SECONDS ?? (quick ? 2 : 3));
  if (!(seconds > 0 && seconds <= 120)) throw new Error(`BENCH_SECONDS must be in (0, 120], got ${env.BENCH_SECONDS}`);
  const repeat = Number(env.BENCH_REPEAT ?? (quick ? 1 : 3));
  if (!(Number.isInteger(repeat) && repeat >= 1 && repeat <= 20)) throw new Error(`BENCH_REPEAT must be an integer in [1, 20], got ${env.BENCH_REPEAT}`);
  return {
    quick,
    repeat,
    warmupMs: quick ? 500 : 1500,
    measureMs: seconds * 1000,
    idleConnections: quick ? 1000 : 5000,
    s2Fanout: 1000,
    s7Sizes: quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000],
    stormSubscribers: quick ? 500 : 2000,
    retained: quick ? 20_000 : 100_000,
  };
}

/** What every load spec starts from. */
export const BASE = { wsPath: '/ws', sockjsPrefix: '/sock', transport: 'ws' as Transport, rate: 0, connections: 0 };

/** S1's load (one publisher, `fan` subscribers, a window of messages in flight) with the given timing. */
export function fanoutSpec(timing: { warmupMs: number; measureMs: number }, lanes: number, fan: number, window: number): Omit<LoadSpec, 'port'> {
  return { ...BASE, ...timing, kind: 'fanout', lanes, fanout: fan, window };
}

/** The scenarios run over the load generator, in order. */
export function scenarios(s: BenchSettings): Scenario[] {
  const timing = { warmupMs: s.warmupMs, measureMs: s.measureMs };
  const perPeer = (id: Scenario['id'], spec: Omit<LoadSpec, 'port'>, requires: Capability[] = ['topic-ws']): Run[] =>
    PEERS.map((peer) => ({ scenario: id, label: peer, peer, spec, requires }));
  const fanout = (lanes: number, fan: number, window: number): Omit<LoadSpec, 'port'> => fanoutSpec(timing, lanes, fan, window);
  return [
    { id: 'S1', title: 'fan-out 1 → 100, max rate', metric: 'delivered/s', runs: perPeer('S1', fanout(1, 100, 200)) },
    { id: 'S2', title: `fan-out 1 → ${s.s2Fanout}, max rate`, metric: 'delivered/s', runs: perPeer('S2', fanout(1, s.s2Fanout, 50)) },
    {
      id: 'S3',
      title: '1,000 msg/s → 100 subscribers, latency',
      metric: 'p99 ms',
      runs: perPeer('S3', { ...fanout(1, 100, 0), kind: 'latency', rate: 1000 }),
    },
    { id: 'S4', title: '50 publishers, each to its own destination with 1 subscriber', metric: 'delivered/s', runs: perPeer('S4', fanout(50, 1, 200)) },
    {
      id: 'S5',
      title: `${s.idleConnections.toLocaleString('en')} idle connections, 1 subscription each, heart-beats 10 s`,
      metric: 'RSS/conn',
      runs: perPeer('S5', { ...fanout(0, 0, 0), kind: 'idle', connections: s.idleConnections }, ['idle']),
    },
    {
      id: 'S6',
      title: 'fan-out 1 → 100 by subscriber transport (stompbox)',
      metric: 'delivered/s',
      runs: (['ws', 'sockjs-ws', 'sockjs-xhr'] as Transport[]).map((transport) => ({
        scenario: 'S6' as const,
        label: transport,
        peer: 'stompbox' as const,
        spec: { ...fanout(1, 100, 200), transport },
        requires: transport === 'ws' ? ['topic-ws'] : ['sockjs'],
      })),
    },
    ...nextScenarios(s),
  ];
}
