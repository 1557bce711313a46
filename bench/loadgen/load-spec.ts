import type { Transport } from './stomp-client';
import type { ExtraHeaders } from './stomp-frames';

/**
 * What the runner asks the load generator to do (passed as JSON in argv[2]).
 *
 * `fanout`: max rate with a bounded in-flight window; `latency`: fixed rate; `idle`:
 * connections held; `queue`: producers and competing consumers on one queue with acks
 * (`queue-driver.ts`); `http-publish`: one keep-alive HTTP client POSTing
 * (`http-publish.ts`); `storm`: subscribers of a retained topic dropped and resumed
 * (`reconnect-storm.ts`); `retain-fill`: messages published into retention, then held while
 * the runner reads the broker's memory.
 */
export interface LoadSpec {
  kind: 'fanout' | 'latency' | 'idle' | 'queue' | 'http-publish' | 'storm' | 'retain-fill';
  /** The peer's HTTP/WebSocket port. */
  port: number;
  wsPath: string;
  sockjsPrefix: string;
  /** Transport of the subscribers (and of the queue scenario's every client). */
  transport: Transport;
  /** Transport of the publishers: plain WebSocket unless given. */
  publisherTransport?: 'ws' | 'tcp';
  /** The peer's STOMP-over-TCP port, when it has one. */
  tcpPort?: number;
  /** The peer's WebSocket port when it differs from `port` (RabbitMQ Web-STOMP). */
  wsPort?: number;
  /** Path of the peer's SSE endpoint (`sse` subscribers). */
  ssePath?: string;
  /** Path and bearer token of the peer's HTTP publish endpoint (`http-publish`). */
  publishPath?: string;
  publishToken?: string;
  /** CONNECT headers the peer needs (RabbitMQ: `host:/`, `login`, `passcode`). */
  connect?: ExtraHeaders;
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
  /** The selector variant of a fan-out (S12): a `selector` on every subscriber, half the messages match. */
  selector?: boolean;
  /**
   * Bytes of one extra header line on every SEND of a fan-out, which the broker forwards to each
   * MESSAGE: S8's control, S1 with frames as long as retained ones but no retention.
   */
  padding?: number;
  queue?: QueueSpec;
  storm?: StormSpec;
  /** Messages to retain for `retain-fill`. */
  retain?: number;
  warmupMs: number;
  measureMs: number;
}

/** The queue scenarios (S10, S11). */
export interface QueueSpec {
  producers: number;
  consumers: number;
  /** Unacknowledged messages a consumer may hold (`prefetch-count` / `activemq.prefetchSize`). */
  prefetch: number;
  /** Messages a producer may have sent that its consumers have not yet received. */
  window: number;
  /** S11: `persistent:true` on every SEND, each with a receipt, at most `receiptWindow` unanswered per producer. */
  persistent: boolean;
  receiptWindow: number;
  /** Broker-specific headers: what a consumer's SUBSCRIBE and a producer's SEND add. */
  subscribeHeaders: ExtraHeaders;
  sendHeaders: ExtraHeaders;
  /** The header that carries `prefetch` on SUBSCRIBE. */
  prefetchHeader: string;
  /** Longest wait for the queue to drain after the window, in ms. */
  drainMs: number;
}

/** The reconnect storm (S9). */
export interface StormSpec {
  subscribers: number;
  /** Messages published while the subscribers are away (and live, for the baseline). */
  messages: number;
  /** `resume`: the whole S9; `accept`: only the reconnect itself, against a floor that has no retention. */
  mode: 'resume' | 'accept';
  /** Connections opened at once while reconnecting. */
  concurrency: number;
}

/** CPU of one process over the measurement window. */
export interface CpuFigure {
  /** CPU seconds (user + system) per wall second: 1.0 is one core saturated. */
  cores: number;
}

/** What the load generator reports back (one JSON line on stdout and an IPC message). */
export interface LoadResult {
  /** MESSAGE frames received per second over the window (queue: received and acknowledged). */
  deliveredPerSec: number;
  /** SEND frames per second over the window (http-publish: requests answered per second). */
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
  /** Queue: messages sent and never received, received more than once, and marked redelivered, after the drain. */
  lost?: number;
  duplicated?: number;
  redelivered?: number;
  drainSeconds?: number;
  /** Storm: see {@link StormResult}. */
  storm?: StormResult;
  loadgenCpu: CpuFigure;
  errors: number;
}

/** What S9 measured. */
export interface StormResult {
  subscribers: number;
  /** Time to deliver `messages` live to every subscriber, first SEND to last MESSAGE (resume mode). */
  liveMs?: number;
  /** First reconnect to the last recovered message (resume mode). */
  recoverMs?: number;
  /** Subscribers that got every message they missed, exactly once and in order. */
  recovered?: number;
  missing?: number;
  duplicated?: number;
  /** CONNECTED frames per second from the first reconnect to the last CONNECTED. */
  acceptedPerSec: number;
}

/** Messages between the runner and the load generator over IPC. */
export type LoadMessage =
  | { type: 'window'; phase: 'start' | 'end' }
  | { type: 'idle-ready'; connections: number }
  | { type: 'warm-ready' }
  | { type: 'result'; result: LoadResult };
