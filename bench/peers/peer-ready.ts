import type { ExtraHeaders } from '../loadgen/stomp-frames';

/**
 * What a peer can be measured on. A scenario lists what it requires; a peer announces what it
 * supports when it is ready, so the runner skips (and prints why) a run its peer cannot serve
 * instead of measuring something else under the scenario's name.
 *
 * `topic-ws`: topics over plain WebSocket (S1–S5); `sockjs`; `idle`: S5's held connections;
 * `accept`: takes CONNECT fast enough to be the floor of S9's reconnects; `tcp`: STOMP over
 * TCP; `queue`: competing consumers with `client-individual` acks and a prefetch; `durable`:
 * `persistent:true` messages stored before their RECEIPT; `selector`: SQL-92 `selector` on
 * SUBSCRIBE; `sse`: Server-Sent Events subscribers; `http-publish`: `POST` publishing;
 * `retention`: topic history with `x-stream-offset` resume.
 */
export type Capability = 'topic-ws' | 'sockjs' | 'idle' | 'accept' | 'tcp' | 'queue' | 'durable' | 'selector' | 'sse' | 'http-publish' | 'retention';

/** Where a peer's endpoints are, beyond the HTTP/WebSocket port of its announcement. */
export interface PeerEndpoints {
  /** WebSocket port when not the announced port (RabbitMQ's Web-STOMP) and path. */
  wsPort?: number;
  wsPath?: string;
  sockjsPrefix?: string;
  tcpPort?: number;
  ssePath?: string;
  publishPath?: string;
  publishToken?: string;
}

/** How a broker spells queue semantics over STOMP. */
export interface QueueDialect {
  /** SUBSCRIBE header carrying the prefetch: `prefetch-count` (RabbitMQ, stompbox) or `activemq.prefetchSize`. */
  prefetchHeader: string;
  subscribeHeaders: ExtraHeaders;
  sendHeaders: ExtraHeaders;
}

/** What the runner asks of a peer (argv[3] as JSON): the capabilities the run needs configured. */
export interface PeerRequestConfig {
  features: Capability[];
}

/** The ready announcement of a peer process (IPC, and a JSON line on stdout). */
export interface PeerReady {
  type: 'ready';
  /** HTTP/WebSocket port. */
  port: number;
  /**
   * The process whose CPU and memory count as the broker's, when it is not the peer process
   * itself (RabbitMQ's `beam.smp`, ActiveMQ's `java`).
   */
  pid?: number;
  supports: Capability[];
  /** Why a requested capability is missing: printed as the skipped run's reason. */
  pending?: Partial<Record<Capability, string>>;
  endpoints?: PeerEndpoints;
  /** Headers every CONNECT needs (RabbitMQ: `host:/`, `login`, `passcode`). */
  connect?: ExtraHeaders;
  queue?: QueueDialect;
  /** Anything the report should say about this peer (how it is pinned, what was installed). */
  notes?: string[];
}

/** A peer that cannot run here (absent and not installable): the runner reports the reason. */
export interface PeerUnavailable {
  type: 'unavailable';
  reason: string;
}

/** The capabilities requested of this peer process by the runner (none when started by hand). */
export function requestedFeatures(argv: readonly string[] = process.argv): Capability[] {
  const raw = argv[3];
  if (raw === undefined || raw === '') return [];
  return (JSON.parse(raw) as PeerRequestConfig).features ?? [];
}
