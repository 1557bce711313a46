import type { Transport } from './stomp-client';

/** What the runner asks the load generator to do (passed as JSON in argv[2]). */
export interface LoadSpec {
  /** `fanout`: max rate with a bounded in-flight window; `latency`: fixed rate; `idle`: connections held. */
  kind: 'fanout' | 'latency' | 'idle';
  port: number;
  wsPath: string;
  sockjsPrefix: string;
  /** Transport of the subscribers (publishers always use plain WebSocket). */
  transport: Transport;
  /** Publisher/destination pairs. */
  lanes: number;
  /** Subscribers per lane. */
  fanout: number;
  /** Messages a lane may have published but not yet delivered to all its subscribers. */
  window: number;
  /** Messages per second for `latency`. */
  rate: number;
  /** Connections for `idle`. */
  connections: number;
  warmupMs: number;
  measureMs: number;
}

/** CPU of one process over the measurement window. */
export interface CpuFigure {
  /** CPU seconds (user + system) per wall second: 1.0 is one core saturated. */
  cores: number;
}

/** What the load generator reports back (one JSON line on stdout and an IPC message). */
export interface LoadResult {
  /** MESSAGE frames received per second over the window. */
  deliveredPerSec: number;
  /** SEND frames per second over the window. */
  publishedPerSec: number;
  delivered: number;
  seconds: number;
  /** Latency percentiles in milliseconds (`latency` only). */
  p50?: number;
  p90?: number;
  p99?: number;
  samples?: number;
  /** Connections established (`idle` only) and how long they took. */
  connections?: number;
  connectSeconds?: number;
  loadgenCpu: CpuFigure;
  errors: number;
}

/** Messages between the runner and the load generator over IPC. */
export type LoadMessage =
  | { type: 'window'; phase: 'start' | 'end' }
  | { type: 'idle-ready'; connections: number }
  | { type: 'result'; result: LoadResult };
