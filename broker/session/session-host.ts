import type { InterceptorChain } from '../app/interceptors';
import type { CompiledSelector } from '../selectors/compile-selector';
import type { MessageBroker, Subscription } from '../messaging/message-broker';
import type { Counters } from '../operations/counters';
import type { FlowControl } from '../operations/flow-control';
import type { ResolvedOptions } from '../options';
import type { StreamPosition } from '../retention/stream-position';
import type { Frame, Headers } from '../stomp/frame';
import type { HeartbeatScheduler } from './heartbeat';
import type { StompSession } from './stomp-session';

/** Why a session ended, as events and logs report it. */
export type CloseReason =
  | 'disconnect'
  | 'error'
  | 'heartbeat-timeout'
  | 'connect-timeout'
  | 'transport-closed'
  | 'server-shutdown'
  | 'slow-consumer';

/**
 * What a session needs from the server around it: routing, the broker, authentication and
 * lifecycle notifications. The server implements it; sessions know nothing else.
 */
export interface SessionHost {
  readonly options: ResolvedOptions;
  readonly broker: MessageBroker;
  /** Hears what ACK and NACK settled (a queue engine); undefined: `broker`'s own `ack`/`nack`, if any. */
  readonly acknowledger?: Pick<MessageBroker, 'ack' | 'nack'>;
  readonly heartbeats: HeartbeatScheduler;
  /** Resolves who a CONNECT is (undefined: anonymous); rejects to refuse it. The session writes the result itself. */
  authenticate(session: StompSession, headers: Headers): Promise<Authenticated | undefined> | Authenticated | undefined;
  /** Routes a SEND (to handlers, the broker or a user); resolves once its effect happened. */
  routeSend(session: StompSession, frame: Frame): Promise<void> | void;
  /** Builds and registers a subscription; resolves once messages will reach it. */
  routeSubscribe(session: StompSession, frame: Frame, subscription: SubscriptionRequest): Promise<Subscription> | Subscription;
  sessionConnected(session: StompSession): Promise<void> | void;
  /** CONNECTED was written (the `connected` event). */
  connectedSent?(session: StompSession): void;
  /** Removes a subscription after UNSUBSCRIBE (the broker, then the `unsubscribe` event). */
  routeUnsubscribe?(session: StompSession, subscription: Subscription): Promise<void> | void;
  /** Inbound and outbound interceptors; undefined or empty keeps the hot path free. */
  readonly interceptors?: InterceptorChain;
  /** Forwards frames of relay destinations to an external STOMP broker (cluster/broker-relay.ts). */
  readonly relay?: FrameRelay;
  sessionClosed(session: StompSession, reason: CloseReason): void;
  /** Backpressure for every session of the host; a host without one gives each session its own. */
  readonly flow?: FlowControl;
  /** Running totals the sessions bump (read by metrics and `stats()`). */
  readonly counters?: Counters;
}

/** Who a CONNECT turned out to be: the principal's name and the principal as `authenticate` returned it. */
export interface Authenticated {
  readonly name: string;
  readonly principal: unknown;
}

/** A validated SUBSCRIBE, before routing decides what kind of subscription it becomes. */
export interface SubscriptionRequest {
  readonly id: string;
  readonly destination: string;
  readonly ack: Subscription['ack'];
  /** Where its history starts (`x-stream-offset`, `x-stream-epoch`; SPEC §6.1); undefined: live only, as ever. */
  readonly position?: StreamPosition;
  /** SUBSCRIBE `selector`, compiled (SPEC §6.2). */
  readonly selector?: CompiledSelector;
  /** SUBSCRIBE `prefetch-count`. */
  readonly prefetch?: number;
  /** Set by routing once a history was queued: whether `position` was served in full (`x-stream-recovered`). */
  recovered?: boolean;
}

/**
 * The hook of a broker relay (Spring's StompBrokerRelay): frames for the external broker's
 * destinations bypass the command table, and their RECEIPTs come from that broker.
 */
export interface FrameRelay {
  /**
   * True (or a promise, when a guard check is asynchronous) when the relay took the frame;
   * false to handle it here. @throws StompError when the relay connection is gone
   */
  forward(session: StompSession, frame: Frame): boolean | Promise<void>;
  /** The server's checks for relayed SEND and SUBSCRIBE (authorization, allowClientSendToBroker). */
  attach?(guard: RelayGuard): void;
  /** Opens the session's connection to the external broker, before CONNECTED. @throws StompError when the broker is unreachable */
  openSession(session: StompSession): Promise<void>;
  /** Closes the session's connection to the external broker. */
  closeSession(session: StompSession): void;
  /** The MessageBroker the server uses with this relay (server-side publishing through it). */
  readonly broker?: MessageBroker;
}

/** Checks a relayed SEND or SUBSCRIBE before it leaves; throws or rejects with a StompError to refuse it. */
export type RelayGuard = (session: StompSession, command: 'SEND' | 'SUBSCRIBE', destination: string) => Promise<void> | void;
