import type { TransportName } from '../connection';

/**
 * Where a session's frames go: the one request or socket currently attached to it. A session
 * has at most one; polling receivers take one frame and end, streaming ones take frames until
 * the stream limit, the websocket one until the session ends.
 */
export interface Receiver {
  readonly transport: TransportName;
  /** Bytes written to it and not yet handed to the OS. */
  readonly bufferedAmount: number;
  /** The session it delivers for, while attached (set by the session, cleared on detach). */
  owner: ReceiverOwner | undefined;
  /** Writes one SockJS frame (`o`, `h`). */
  writeFrame(frame: string): void;
  /** Writes the `a[...]` frame of these STOMP frames; the list is not changed afterwards. */
  writeMessages(frames: readonly Uint8Array[]): void;
  /**
   * Writes a last frame (a close frame) and ends; `flushed` runs once the response or socket
   * is done, so a closing session counts as open until its last bytes left.
   */
  finish(frame: string, flushed: () => void): void;
  /** Drops the request or socket at once. */
  destroy(): void;
}

/** What a receiver reports to the session it delivers for. */
export interface ReceiverOwner {
  /**
   * The receiver takes no more frames: it ended by itself (a poll answered, the stream limit
   * reached) or, when `aborted`, the client went away. Called once, synchronously for the former.
   */
  detach(receiver: Receiver, aborted: boolean): void;
}
