import { Buffer } from 'node:buffer';
import { StompError, type ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import type { Connection, ConnectionHandler, HandshakeInfo, TransportName } from '../connection';
import type { TurnWriter } from '../turn-writer';
import { closeFrame, GO_AWAY_FRAME, ANOTHER_CONNECTION_FRAME, HEARTBEAT_FRAME, OPEN_FRAME } from './framing';
import type { Receiver, ReceiverOwner } from './receiver';
import type { SessionBinding } from './session-binding';

/**
 * Where a SockJS session is: `open` (frames flow), `closing` (its close frame waits for a
 * receiver), `closed` (the close frame went out, or the session timed out or was dropped).
 */
export type SockJsSessionState = 'open' | 'closing' | 'closed';

/** What a session needs from its endpoint. */
export interface SessionHost {
  readonly heartbeatDelay: number;
  readonly disconnectDelay: number;
  readonly logger: Logger;
  readonly writer: TurnWriter<SockJsSession>;
  /** The session is over: forget it (a closed one may still answer `c[3000,"Go away!"]` until then). */
  retire(session: SockJsSession): void;
}

/**
 * One SockJS session as a {@link Connection}: the state machine between a STOMP session and
 * the successive requests (or the one websocket) that carry its frames.
 *
 * Sending: frames written in one turn of the event loop are kept in `pending` and leave
 * together when the turn ends (see {@link TurnWriter}), as one `a[...]` frame. With a receiver
 * attached they go straight to it; without one they wait in `queue` for the next receiving
 * request. `bufferedAmount` counts all of it plus what the receiver has not yet handed to the
 * OS, so the slow-consumer policies see every byte held for the session.
 *
 * Timers (one at a time): while a receiver is attached, a heart-beat (`h`) goes out whenever
 * nothing else did for `heartbeatDelay`; while none is, the session ends after
 * `disconnectDelay` (also when no receiver ever attaches).
 *
 * Closing (`close()`): what was sent goes first, then `c[code,reason]`. The STOMP session is
 * told the connection closed once that close frame left (or only it is left to deliver), so a
 * shutdown waits for drained sessions and no longer. Later requests of a closed session get
 * `c[3000,"Go away!"]` until it is retired; a second receiving request while one is attached
 * gets `c[2010,"Another connection still open"]` (sockjs-protocol).
 */
export class SockJsSession implements Connection, ReceiverOwner {
  state: SockJsSessionState = 'open';
  private handler: ConnectionHandler | undefined;
  private closedReason: string | undefined;
  private receiver: Receiver | undefined;
  /** The receiver taking the close frame, until its last bytes left (terminate() drops it). */
  private finishing: Receiver | undefined;
  private opened = false;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private pending: Uint8Array[] | undefined;
  private pendingBytes = 0;
  private lastFrame: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastWrite = 0;

  constructor(
    /** The client's session id (undefined for the websocket transport, whose sessions are not addressable). */
    readonly id: string | undefined,
    readonly transport: TransportName,
    readonly handshake: HandshakeInfo,
    /** What later requests must match; undefined on the websocket transport. */
    readonly binding: SessionBinding | undefined,
    private readonly host: SessionHost,
  ) {
    this.armDisconnect();
  }

  /** Hands the STOMP session its connection; a close that happened meanwhile is reported at once. */
  bind(handler: ConnectionHandler): void {
    if (this.closedReason === undefined) this.handler = handler;
    else this.notify(handler, this.closedReason);
  }

  get bufferedAmount(): number {
    // A receiver still taking the close frame counts until its bytes left: sendTimeLimit still applies.
    return this.pendingBytes + this.queuedBytes + ((this.receiver ?? this.finishing)?.bufferedAmount ?? 0);
  }

  // ---- inbound ----

  /** Hands the messages of one inbound SockJS message to the STOMP session, each as UTF-8. */
  deliver(messages: readonly string[]): void {
    const handler = this.handler;
    if (this.state !== 'open' || handler === undefined) return;
    // Buffer.from encodes a lone surrogate as U+FFFD: what the session reads is valid UTF-8.
    for (let i = 0; i < messages.length && this.state === 'open'; i++) handler.receive(Buffer.from(messages[i], 'utf8'), false);
  }

  /** Ends the session for what its client sent: a STOMP ERROR naming `reason`, then the close. */
  refuse(code: ErrorCode, reason: string): void {
    if (this.state !== 'open') return;
    if (this.handler === undefined) this.close(1002, reason);
    else this.handler.fail(new StompError(code, reason), undefined);
  }

  /** Ends the session for a fault of ours while handling its data: logged, ERROR, close. */
  failed(err: unknown): void {
    if (this.state !== 'open') return;
    if (this.handler === undefined) this.terminate();
    else this.handler.fail(err, undefined);
  }

  // ---- receivers ----

  /** Attaches a receiving request (or the websocket): it gets what waits, or a close frame. */
  attach(receiver: Receiver): void {
    if (this.state === 'closed') {
      receiver.finish(GO_AWAY_FRAME, noop);
      this.armRetire();
      return;
    }
    if (this.receiver !== undefined) {
      receiver.finish(ANOTHER_CONNECTION_FRAME, noop);
      return;
    }
    this.clearTimer();
    this.receiver = receiver;
    receiver.owner = this;
    if (!this.opened) {
      this.opened = true;
      this.write(receiver, OPEN_FRAME);
    }
    if (this.receiver === receiver && this.queue.length > 0) {
      const frames = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      this.lastWrite = Date.now();
      receiver.writeMessages(frames);
    }
    if (this.receiver !== receiver) return; // a polling receiver took its one frame
    if (this.state === 'closing') this.sendClose(receiver);
    else this.armHeartbeat();
  }

  detach(receiver: Receiver, aborted: boolean): void {
    if (this.receiver !== receiver) return;
    this.receiver = undefined;
    this.clearTimer();
    if (this.state === 'closed') return;
    if (aborted || this.id === undefined) {
      // The client went away (sockjs-node ends the session at once then), or the websocket closed.
      this.end(aborted ? `sockjs ${receiver.transport} aborted` : `sockjs ${receiver.transport} closed`);
      return;
    }
    if (this.state === 'closing' && this.queue.length === 0) this.report(`sockjs ${this.transport} closed`);
    this.armDisconnect();
  }

  // ---- Connection ----

  send(data: Uint8Array, _binary: boolean): void {
    if (this.state !== 'open') return;
    this.pendingBytes += data.byteLength;
    if (this.pending !== undefined) this.pending.push(data);
    else {
      this.pending = [data];
      this.host.writer.add(this);
    }
  }

  /** Writes this turn's frames: to the receiver, or into the queue for the next one. */
  flush(): void {
    const frames = this.pending;
    if (frames === undefined) return;
    this.pending = undefined;
    this.pendingBytes = 0;
    if (this.state === 'closed') return;
    const receiver = this.receiver;
    if (receiver === undefined) {
      for (let i = 0; i < frames.length; i++) {
        this.queue.push(frames[i]);
        this.queuedBytes += frames[i].byteLength;
      }
      return;
    }
    this.lastWrite = Date.now();
    try {
      receiver.writeMessages(frames);
    } catch (err) {
      this.host.logger.error({ err, transport: this.transport }, 'SockJS write failed');
      this.terminate();
    }
  }

  close(code: number, reason: string): void {
    this.flush(); // what was sent before the close goes before the close frame
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.lastFrame = closeFrame(code, reason);
    const receiver = this.receiver;
    if (receiver !== undefined) this.sendClose(receiver);
    else if (this.queue.length === 0) this.report(`sockjs ${this.transport} closed`); // only the close frame is left to deliver
  }

  terminate(): void {
    this.pending = undefined;
    this.pendingBytes = 0;
    const receiver = this.receiver ?? this.finishing;
    this.receiver = undefined;
    this.finishing = undefined;
    if (receiver !== undefined) {
      receiver.owner = undefined;
      // A socket goes at once. A response ends with the close frame instead (dropped after the
      // receiver's flush grace if it cannot get out): an HTTP client whose response is cut
      // mid-stream may not notice (sockjs-client's Node driver waits for the response's end).
      if (receiver.transport === 'sockjs-websocket') receiver.destroy();
      else receiver.finish(GO_AWAY_FRAME, noop);
    }
    this.end(`sockjs ${this.transport} terminated`, false);
    // An HTTP transport's client opens its next receiving request on the same session id: it
    // must hear that the session is gone (c[3000,"Go away!"]), not find a new one opened under
    // that id and wait for a heart-beat to notice. Kept that long, holding nothing.
    if (this.id === undefined) this.host.retire(this);
    else this.armRetire();
  }

  /** Ends the session now (its endpoint closes): an attached receiver gets its close frame, or `c[3000,"Go away!"]`. */
  shutdown(): void {
    this.pending = undefined;
    this.pendingBytes = 0;
    const receiver = this.receiver;
    this.receiver = undefined;
    if (receiver !== undefined) {
      receiver.owner = undefined;
      receiver.finish(this.state === 'closing' ? this.lastFrame! : GO_AWAY_FRAME, noop);
    }
    this.finishing?.destroy();
    this.finishing = undefined;
    this.end(`sockjs ${this.transport} endpoint closed`);
  }

  // ---- ending ----

  private sendClose(receiver: Receiver): void {
    const frame = this.lastFrame!;
    this.state = 'closed';
    this.receiver = undefined;
    this.finishing = receiver;
    receiver.owner = undefined;
    this.clearTimer();
    receiver.finish(frame, () => {
      if (this.finishing !== receiver) return; // dropped meanwhile: terminate() or shutdown() ended the session
      this.finishing = undefined;
      this.report(`sockjs ${this.transport} closed`);
      if (this.id === undefined) this.host.retire(this);
      else this.armRetire();
    });
  }

  /** The session ends now: nothing more is delivered, the STOMP session is told, it is forgotten. */
  private end(reason: string, retire = true): void {
    this.state = 'closed';
    this.clearTimer();
    this.queue = [];
    this.queuedBytes = 0;
    this.report(reason);
    if (retire) this.host.retire(this);
  }

  /** Tells the STOMP session (once) that its connection is gone. */
  private report(reason: string): void {
    this.closedReason ??= reason;
    const handler = this.handler;
    this.handler = undefined;
    if (handler !== undefined) this.notify(handler, this.closedReason);
  }

  private notify(handler: ConnectionHandler, reason: string): void {
    try {
      handler.closed(reason);
    } catch (err) {
      this.host.logger.error({ err, transport: this.transport }, 'Session close handling failed');
    }
  }

  // ---- timers ----

  private write(receiver: Receiver, frame: string): void {
    this.lastWrite = Date.now();
    receiver.writeFrame(frame);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number, kind: TimerKind): void {
    this.clearTimer();
    this.timer = setTimeout(timerDue, ms, this, kind);
    this.timer.unref();
  }

  private armHeartbeat(): void {
    this.arm(this.host.heartbeatDelay, 'heartbeat');
  }

  private armDisconnect(): void {
    this.arm(this.host.disconnectDelay, 'disconnect');
  }

  /** A closed session answers `c[3000,"Go away!"]` for another `disconnectDelay`, then goes. */
  private armRetire(): void {
    this.arm(this.host.disconnectDelay, 'retire');
  }

  /** @internal The session's one timer fired; nothing may escape a timer callback. */
  timerDue(kind: TimerKind): void {
    this.timer = undefined;
    try {
      if (kind === 'heartbeat') this.heartbeatDue();
      else if (this.receiver !== undefined) return;
      else if (kind === 'disconnect') this.end(`sockjs ${this.transport} timed out`);
      else this.host.retire(this);
    } catch (err) {
      this.host.logger.error({ err, transport: this.transport }, 'SockJS session timer failed');
    }
  }

  /** `h` once idle for a whole `heartbeatDelay`, else wait out the rest. */
  private heartbeatDue(): void {
    const receiver = this.receiver;
    if (receiver === undefined || this.state !== 'open') return;
    const delay = this.host.heartbeatDelay;
    const left = this.lastWrite + delay - Date.now();
    if (left > 1) return this.arm(left, 'heartbeat');
    if (this.pending === undefined) this.write(receiver, HEARTBEAT_FRAME);
    if (this.receiver === receiver) this.arm(delay, 'heartbeat');
  }
}

/** What the session's one timer is for: heart-beats (receiver attached), the disconnect delay (none), retiring a closed session. */
type TimerKind = 'heartbeat' | 'disconnect' | 'retire';

function noop(): void {}

function timerDue(session: SockJsSession, kind: TimerKind): void {
  session.timerDue(kind);
}
