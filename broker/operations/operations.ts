import type { ServerResponse } from 'node:http';
import type * as PromClient from 'prom-client';
import { StompError } from '../errors';
import type { MessageBroker } from '../messaging/message-broker';
import type { StoreStats } from '../retention/message-store';
import type { ResolvedOptions } from '../options';
import type { HeartbeatScheduler } from '../session/heartbeat';
import type { StompSession } from '../session/stomp-session';
import type { Counters } from './counters';
import { NO_QUEUES, type QueueStats } from '../queues/queue-stats';
import { registerQueueMetrics } from '../queues/queue-metrics';
import { MEMORY_STORE, type StoreFileStats } from '../store/store-stats';
import type { FlowControl } from './flow-control';

/**
 * A snapshot of the broker, in the spirit of Spring's WebSocketMessageBrokerStats (which Spring
 * only logs every 30 minutes): sessions by transport, frames by command, messages, subscriptions,
 * backpressure and heart-beats.
 */
export interface BrokerStats {
  /** Seconds since the server was created. */
  readonly uptime: number;
  readonly sessions: {
    /** Open transport connections (connected or waiting for CONNECT). */
    readonly open: number;
    /** Sessions past CONNECT. */
    readonly connected: number;
    readonly byTransport: Readonly<Record<string, number>>;
    /** Connections accepted since start. */
    readonly total: number;
    /** Sessions ended since start, by reason. */
    readonly closed: Readonly<Record<string, number>>;
    readonly refused: number;
  };
  readonly frames: { readonly in: Readonly<Record<string, number>>; readonly out: Readonly<Record<string, number>> };
  readonly messages: { readonly published: number; readonly delivered: number; readonly dropped: number };
  /** Subscriptions held by this node's sessions. */
  readonly subscriptions: number;
  readonly backpressure: {
    /** Bytes buffered for clients right now (sockets and drop-oldest queues). */
    readonly bufferedBytes: number;
    readonly bufferBreaches: number;
    readonly timeBreaches: number;
    readonly rateLimited: number;
  };
  readonly heartbeats: { readonly sessions: number; readonly timeouts: number };
  readonly handlerErrors: number;
  /** Retained messages (docs/retention.md): histories, messages, bytes against the budget, drops by reason. */
  readonly retention: StoreStats;
  /** Queues (docs/queues.md): depth, in flight, redelivered, dead-lettered, expired, dropped, store size; zeros without queue rules. */
  readonly queues: QueueStats;
  /** The durable store (docs/store.md#metrics): its file's size, the bytes counted against `maxBytes`, commits. */
  readonly store: StoreFileStats;
  readonly shuttingDown: boolean;
}

/** What the operations endpoint reads from the server. */
export interface OperationsSource {
  readonly options: ResolvedOptions;
  readonly counters: Counters;
  readonly flow: FlowControl;
  readonly heartbeats: HeartbeatScheduler;
  readonly broker: MessageBroker;
  readonly retention?: { stats(): StoreStats };
  readonly queues?: { stats(): QueueStats };
  readonly store?: { stats(): StoreFileStats };
  readonly sessions: ReadonlyMap<string, StompSession>;
  /** Every open connection's session (connecting ones too). */
  openSessions(): Iterable<StompSession>;
  shuttingDown(): boolean;
}

type Prom = typeof PromClient;

/**
 * `/health`, `/metrics` and `stats()`. Metrics are read from plain counters when Prometheus
 * scrapes (collect callbacks), so nothing on the frame path calls prom-client. prom-client is
 * required lazily, only when the `metrics` option is on: it stays an optional dependency.
 */
export class Operations {
  private readonly started = Date.now();
  private registry: PromClient.Registry | undefined;

  constructor(private readonly source: OperationsSource) {
    if (source.options.metrics) this.registry = createRegistry(loadPromClient(), this);
  }

  /** Answers the health check: 200 `{"status":"ok","sessions":n}` while serving, 503 while shutting down. */
  serveHealth(res: ServerResponse): void {
    const down = this.source.shuttingDown();
    const body = JSON.stringify({ status: down ? 'shutting-down' : 'ok', sessions: this.source.sessions.size });
    res.writeHead(down ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
  }

  /** Answers a Prometheus scrape (404 unless the `metrics` option is on). */
  serveMetrics(res: ServerResponse): void {
    const registry = this.registry;
    if (registry === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  }

  /** The Prometheus registry (undefined unless the `metrics` option is on). */
  get metrics(): { metrics(): Promise<string>; readonly contentType: string } | undefined {
    return this.registry;
  }

  stats(): BrokerStats {
    const s = this.source;
    const c = s.counters;
    const byTransport: Record<string, number> = {};
    let open = 0;
    let subscriptions = 0;
    for (const session of s.openSessions()) {
      open++;
      subscriptions += session.subscriptions.size;
      const t = session.connection.transport;
      byTransport[t] = (byTransport[t] ?? 0) + 1;
    }
    return {
      uptime: Math.round((Date.now() - this.started) / 1000),
      sessions: { open, connected: s.sessions.size, byTransport, total: c.sessionsOpened, closed: { ...c.sessionsClosed }, refused: c.connectionsRefused },
      frames: { in: { ...c.framesIn }, out: { ...c.framesOut, MESSAGE: c.messagesDelivered } },
      messages: { published: c.messagesPublished, delivered: c.messagesDelivered, dropped: c.messagesDropped },
      subscriptions,
      backpressure: { bufferedBytes: s.flow.bufferedBytes(), bufferBreaches: c.bufferBreaches, timeBreaches: c.timeBreaches, rateLimited: c.rateLimited },
      heartbeats: { sessions: s.heartbeats.size, timeouts: c.heartbeatTimeouts },
      handlerErrors: c.handlerErrors,
      retention: s.retention?.stats() ?? NO_RETENTION,
      queues: s.queues?.stats() ?? NO_QUEUES,
      store: s.store?.stats() ?? MEMORY_STORE,
      shuttingDown: s.shuttingDown(),
    };
  }
}

const NO_RETENTION: StoreStats = Object.freeze({ destinations: 0, messages: 0, bytes: 0, budget: 0, dropped: Object.freeze({ count: 0, age: 0, bytes: 0 }) });

function loadPromClient(): Prom {
  try {
    // Lazy on purpose: prom-client is only needed when metrics are on.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('prom-client') as Prom;
  } catch {
    throw new StompError('STOMP_ERR_INVALID_OPTION', 'Option "metrics" needs the prom-client package (npm install prom-client); it is not installed');
  }
}

/** Sets a counter to `value` (collect callbacks own the value; prom-client counters only go up). */
function setCounter(counter: PromClient.Counter<string>, value: number, labels?: Record<string, string>): void {
  if (labels === undefined) counter.inc(value);
  else counter.inc(labels, value);
}

function createRegistry(prom: Prom, ops: Operations): PromClient.Registry {
  const registry = new prom.Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: PromClient.Gauge<string>) => void): void => {
    new prom.Gauge({ name, help, labelNames, registers, collect() { this.reset(); collect(this); } });
  };
  const counter = (name: string, help: string, labelNames: string[], collect: (c: PromClient.Counter<string>, s: BrokerStats) => void): void => {
    new prom.Counter({ name, help, labelNames, registers, collect() { this.reset(); collect(this, ops.stats()); } });
  };
  gauge('stompbox_sessions', 'Open sessions by transport', ['transport'], (g) => {
    for (const [transport, n] of Object.entries(ops.stats().sessions.byTransport)) g.set({ transport }, n);
  });
  gauge('stompbox_subscriptions', 'Subscriptions held by sessions of this node', [], (g) => g.set(ops.stats().subscriptions));
  gauge('stompbox_buffered_bytes', 'Bytes buffered for clients (sockets and drop-oldest queues)', [], (g) => g.set(ops.stats().backpressure.bufferedBytes));
  counter('stompbox_frames_in_total', 'Inbound frames by command', ['command'], (c, s) => {
    for (const [command, n] of Object.entries(s.frames.in)) setCounter(c, n, { command });
  });
  counter('stompbox_frames_out_total', 'Outbound frames by command', ['command'], (c, s) => {
    for (const [command, n] of Object.entries(s.frames.out)) setCounter(c, n, { command });
  });
  counter('stompbox_messages_published_total', 'Messages published to the broker', [], (c, s) => setCounter(c, s.messages.published));
  counter('stompbox_messages_delivered_total', 'MESSAGE frames delivered to sessions', [], (c, s) => setCounter(c, s.messages.delivered));
  counter('stompbox_messages_dropped_total', 'Deliveries dropped by a drop slow-consumer policy', [], (c, s) => setCounter(c, s.messages.dropped));
  counter('stompbox_breaches_total', 'Limit breaches by kind', ['kind'], (c, s) => {
    setCounter(c, s.backpressure.bufferBreaches, { kind: 'send-buffer' });
    setCounter(c, s.backpressure.timeBreaches, { kind: 'send-time' });
    setCounter(c, s.backpressure.rateLimited, { kind: 'rate' });
    setCounter(c, s.sessions.refused, { kind: 'connections' });
  });
  counter('stompbox_heartbeat_timeouts_total', 'Sessions closed because heart-beats stopped', [], (c, s) => setCounter(c, s.heartbeats.timeouts));
  counter('stompbox_handler_errors_total', 'Handler calls that threw or rejected', [], (c, s) => setCounter(c, s.handlerErrors));
  gauge('stompbox_retained_messages', 'Messages retained for replay (docs/retention.md)', [], (g) => g.set(ops.stats().retention.messages));
  gauge('stompbox_retained_bytes', 'Bytes of retained messages counted against retentionBytes', [], (g) => g.set(ops.stats().retention.bytes));
  counter('stompbox_retained_dropped_total', 'Retained messages dropped, by reason (count, age, bytes)', ['reason'], (c, s) => {
    for (const [reason, n] of Object.entries(s.retention.dropped)) setCounter(c, n, { reason });
  });
  counter('stompbox_retained_caught_up_total', 'Retained messages this cluster node read back from Redis streams after its subscription missed them', [], (c, s) => setCounter(c, s.retention.cluster?.caughtUp ?? 0));
  counter('stompbox_retained_failed_total', 'Retained appends whose Redis connection broke before Redis answered (they may or may not be stored)', [], (c, s) => setCounter(c, s.retention.cluster?.failed ?? 0));
  counter('stompbox_retained_lost_total', 'Retained messages this cluster node could not deliver: trimmed before it caught up, or refused while Redis was unreachable', [], (c, s) => setCounter(c, s.retention.cluster?.lost ?? 0));
  counter('stompbox_retained_rule_conflicts_total', 'Retained appends on this cluster node that found their history kept under another node’s retention rule', [], (c, s) => setCounter(c, s.retention.cluster?.ruleConflicts ?? 0));
  registerQueueMetrics(gauge, counter, () => ops.stats().queues);
  gauge('stompbox_store_file_bytes', 'Bytes of the durable store file and its WAL on disk (docs/store.md)', [], (g) => g.set(ops.stats().store.fileBytes));
  gauge('stompbox_store_bytes', 'Bytes of stored messages counted against store.sqlite.maxBytes', [], (g) => g.set(ops.stats().store.bytes));
  counter('stompbox_store_commits_total', 'Write transactions the durable store committed', [], (c, s) => setCounter(c, s.store.commits));
  counter('stompbox_sessions_closed_total', 'Sessions ended, by reason', ['reason'], (c, s) => {
    for (const [reason, n] of Object.entries(s.sessions.closed)) setCounter(c, n, { reason });
  });
  return registry;
}
