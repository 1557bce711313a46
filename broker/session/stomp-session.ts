import type { StompError } from '../errors';
import type { SessionId, Subscriber, Subscription } from '../messaging/message-broker';
import type { OutboundKind, SessionFlow } from '../operations/flow-control';
import type { Frame } from '../stomp/frame';
import type { StompVersion } from '../stomp/versions';
import type { Connection } from '../transport/connection';
import type { AckTracker } from './ack-tracker';
import type { CloseReason, SessionHost } from './session-host';

/** Where a session is in its life: waiting for CONNECT, connected, closing after DISCONNECT or ERROR, closed. */
export type SessionState = 'connecting' | 'connected' | 'closing' | 'closed';

/**
 * One STOMP session as the rest of the broker sees it: what the command table, the dispatcher,
 * the frame router, the relay, flow control and interceptors use. `session/session.ts`
 * implements it; nothing else depends on that class, so the command table, the host and the
 * relay types name this interface instead (and a test can drive them with a plain object).
 */
export interface StompSession extends Subscriber {
  readonly sessionId: SessionId;
  readonly state: SessionState;
  /** The negotiated protocol version (1.2 until CONNECT). */
  readonly version: StompVersion;
  /** The principal's name, once connected (undefined: anonymous). */
  readonly user: string | undefined;
  /** The principal as `authenticate` returned it (a name or an object), if any. */
  principal: unknown;
  readonly connection: Connection;
  readonly host: SessionHost;
  /** Subscriptions by client id. */
  readonly subscriptions: Map<string, Subscription>;
  /** Characters of the subscriptions' ids, destinations and selectors, and of claimed reply queues (`maxSubscriptionBytes`). */
  subscriptionBytes: number;
  /** Destinations an anonymous session named as `reply-to`: its own queues (app/reserved-queues.ts). */
  replyQueues: Set<string> | undefined;
  /** Open transactions: frames held until COMMIT. */
  readonly transactions: Map<string, Frame[]>;
  /** Bytes held by the open transactions together (`maxTransactionBytes`). */
  transactionBytes: number;
  readonly acks: AckTracker;
  /** Backpressure, inbound rate and counters (operations/flow-control.ts). */
  readonly flow: SessionFlow;
  /** True once a binary WebSocket message arrived (until then every body it sent is UTF-8). */
  readonly binaryInput: boolean;

  /** Marks CONNECT done: stops the connect timer and starts heart-beats. */
  connected(version: StompVersion, user: string | undefined, sendInterval: number, receiveInterval: number): void;
  /** Writes one encoded frame through flow control. */
  write(data: Uint8Array, binary?: boolean, kind?: OutboundKind): void;
  /** Encodes and writes a server frame under this session's version. */
  sendFrame(command: 'CONNECTED' | 'RECEIPT' | 'ERROR' | 'MESSAGE', headers: Iterable<readonly [string, string]>, body?: Uint8Array): void;
  /** Sends RECEIPT with `extra` headers (default: {@link receiptHeaders}, then cleared). */
  sendReceipt(receipt: string, extra?: [string, string][]): void;
  /** The effect the current frame's handler returns is ordered already: later frames need not wait for it, only its RECEIPT (session.ts). */
  markOrdered(): void;
  /** Headers the RECEIPT of the frame being handled carries besides `receipt-id` (`x-stream-recovered`); taken by the next RECEIPT. */
  receiptHeaders: [string, string][] | undefined;
  /** Sends ERROR (with `receipt-id` when the frame asked for a receipt), then closes. */
  sendError(err: StompError, frame: Frame | undefined, reason: CloseReason): void;
  /** Closes the connection after pending writes. */
  end(reason: CloseReason, code: number, text: string): void;
  /** Called by the transport once the connection is gone: releases everything, exactly once. */
  closed(transportReason: string): void;
  /** Reads a header a command requires, or throws `STOMP_ERR_MISSING_HEADER` naming it. */
  required(frame: Frame, name: string): string;
}
