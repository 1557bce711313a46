import type { ClientError } from './errors';
import type { ResumeInfo } from './stream';
import type { TransportKind } from './transport';

/** Where the client is: never connected or given up, connecting, connected, waiting to reconnect, closed for good. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A connection-state change. */
export interface StateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
  /** Connected: the transport in use. */
  readonly transport?: TransportKind;
  /** Connected: SockJS's own transport name (`xhr-streaming`, …), `websocket` for plain WebSocket. */
  readonly protocol?: string;
  /** Reconnecting: failed attempts in a row before this wait. */
  readonly failures?: number;
  /** Reconnecting: ms until the next attempt. */
  readonly delay?: number;
  /** Why the connection ended or could not be made. */
  readonly error?: ClientError;
}

/** Events of a {@link StompboxClient}. */
export interface ClientEvents {
  state: StateChange;
  /** ERROR frames and failures reported on the error queue that no request claimed. */
  error: ClientError;
  /** A subscription is active on the server (its RECEIPT arrived), after subscribe() and after each reconnect. */
  subscribed: { readonly id: string; readonly destination: string };
  /**
   * A subscription with history was confirmed: after `from` on the first SUBSCRIBE, and after
   * every reconnect of a subscription that had received retained messages. `recovered: false`
   * says messages were lost (too old, or the server lost its history: another epoch).
   */
  resumed: ResumeInfo;
}
