import type { CloseReason } from '../session/session-host';
import type { TransportName } from '../transport/connection';

/** Who a session is, in every event (Spring's `AbstractSubProtocolEvent` basics). */
export interface SessionEventInfo {
  readonly sessionId: string;
  /** The principal's name, if authenticated. */
  readonly user: string | undefined;
  readonly transport: TransportName;
}

/**
 * Events a server emits, typed (Spring's `SessionConnectEvent`, `SessionConnectedEvent`,
 * `SessionSubscribeEvent`, `SessionUnsubscribeEvent`, `SessionDisconnectEvent`). `connect`
 * and `disconnect` come in pairs: every session that emitted `connect` emits `disconnect`
 * exactly once, with its reason.
 */
export interface StompServerEvents {
  /** A CONNECT was accepted (authenticated), before CONNECTED is written. */
  connect: [info: SessionEventInfo];
  /** CONNECTED was written: the session may now receive messages. */
  connected: [info: SessionEventInfo];
  /** A subscription is in place (after the broker accepted it, before its RECEIPT). */
  subscribe: [info: SessionEventInfo & { readonly id: string; readonly destination: string }];
  /** An UNSUBSCRIBE took effect. */
  unsubscribe: [info: SessionEventInfo & { readonly id: string; readonly destination: string }];
  /** The session ended; once per session that emitted `connect`. */
  disconnect: [info: SessionEventInfo & { readonly reason: CloseReason }];
}
