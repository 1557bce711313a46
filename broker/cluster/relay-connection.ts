import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { FrameDecoder } from '../stomp/decoder';
import { encodeFrame, HEARTBEAT } from '../stomp/encoder';
import { SERVER_COMMANDS, type Command, type Frame } from '../stomp/frame';
import { negotiateHeartBeat, parseHeartBeat, SYSTEM_CLOCK, type Clock } from '../stomp/heartbeat';

/** Where and how a relay connection reaches the external broker. */
export interface RelayEndpoint {
  readonly host: string;
  readonly port: number;
  readonly login: string;
  readonly passcode: string;
  /** The CONNECT `host` header (RabbitMQ: the virtual host). */
  readonly virtualHost: string;
  /** [send, receive] heart-beat we offer, ms (0 disables). */
  readonly heartbeat: readonly [number, number];
  /** Milliseconds to wait for CONNECTED. */
  readonly connectTimeout: number;
  /** Time and timers of the heart-beats. @defaultValue the system clock */
  readonly clock?: Clock;
  /** Bytes written and not yet taken by the broker past which the link counts as backed up. @defaultValue 1 MiB */
  readonly maxBufferedBytes?: number;
}

const DEFAULT_MAX_BUFFERED = 1 << 20;

const LIMITS = { maxFrameSize: 16 << 20, maxHeaders: 1000, maxHeaderLength: 1 << 16 };

/**
 * One STOMP 1.2 connection over TCP to the external broker: CONNECT, CONNECTED, then frames
 * both ways. Its states: `connecting` (TCP and CONNECT under way), `open` (CONNECTED read),
 * `closed` (socket gone; final, a new connection replaces it). Heart-beats follow STOMP 1.2
 * §Heart-beating: each side uses the larger of what one offers and the other wants.
 *
 * Two thresholds on the broker's silence (nothing read, not even a heart-beat), both against
 * the negotiated receive interval R: past R the link is {@link overdue} (the broker broke its
 * promise to write every R ms: RabbitMQ writes every R/2), and the relay holds frames instead
 * of writing them into a socket nobody may read; past 2R it counts as dead and is closed. The
 * check runs every R/4, so the close comes within 2R + R/4 of the last byte read.
 * A link is also {@link backedUp} while more than `maxBufferedBytes` wait unwritten in its
 * socket (the broker, or the network, is not taking them); the relay holds frames then too.
 * Events: `frame` (every frame after CONNECTED), `alive` (bytes read while overdue), `drain`
 * (the socket's buffer emptied), `close` (reason string, once).
 */
export class RelayConnection extends EventEmitter {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  /** The CONNECTED frame, once open. */
  connected: Frame | undefined;
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly clock: Clock;
  private stopSending: (() => void) | undefined;
  private stopChecking: (() => void) | undefined;
  private lastRead: number;
  /** The negotiated interval at which the broker must write, ms (0: it does not). */
  receiveInterval = 0;

  constructor(
    private readonly endpoint: RelayEndpoint,
    extraHeaders: readonly (readonly [string, string])[] = [],
  ) {
    super();
    this.clock = endpoint.clock ?? SYSTEM_CLOCK;
    this.lastRead = this.clock.now();
    this.decoder = new FrameDecoder(LIMITS, (f) => this.onFrame(f), SERVER_COMMANDS);
    this.socket = connect({ host: endpoint.host, port: endpoint.port });
    this.socket.setNoDelay(true);
    const timeout = setTimeout(() => this.close('no CONNECTED within connectTimeout'), endpoint.connectTimeout);
    timeout.unref();
    this.once('open', () => clearTimeout(timeout));
    this.once('close', () => clearTimeout(timeout));
    this.socket.on('connect', () => {
      const headers: (readonly [string, string])[] = [
        ['accept-version', '1.2'],
        ['host', endpoint.virtualHost],
        ['login', endpoint.login],
        ['passcode', endpoint.passcode],
        ['heart-beat', `${endpoint.heartbeat[0]},${endpoint.heartbeat[1]}`],
        ...extraHeaders,
      ];
      this.socket.write(encodeFrame('CONNECT', headers));
    });
    this.socket.on('data', (chunk: Buffer) => {
      const wasOverdue = this.overdue;
      this.lastRead = this.clock.now();
      if (wasOverdue) this.emit('alive');
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.close(`undecodable frame from the broker: ${String(err)}`);
      }
    });
    this.socket.on('drain', () => this.emit('drain'));
    this.socket.on('error', (err) => this.close(err.message));
    this.socket.on('close', () => this.close('connection closed by the broker'));
  }

  /** Resolves once CONNECTED arrived; rejects with the reason when the connection fails first. */
  opened(): Promise<Frame> {
    if (this.state === 'open') return Promise.resolve(this.connected!);
    if (this.state === 'closed') return Promise.reject(new Error('relay connection closed'));
    return new Promise((resolve, reject) => {
      const onClose = (reason: string): void => reject(new Error(reason));
      this.once('close', onClose);
      this.once('open', (f: Frame) => {
        this.off('close', onClose);
        resolve(f);
      });
    });
  }

  /** Milliseconds since the broker last wrote anything (a frame or a heart-beat). */
  silentFor(): number {
    return this.clock.now() - this.lastRead;
  }

  /** Bytes written to the socket and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** True while more than `maxBufferedBytes` wait unwritten: the broker (or the path to it) is not taking them. */
  get backedUp(): boolean {
    return this.socket.writableLength > (this.endpoint.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED);
  }

  /** True while open, heard from within its heart-beat and not backed up: a frame written now can be expected to arrive. */
  get ready(): boolean {
    return this.state === 'open' && !this.overdue && !this.backedUp;
  }

  /** True while open and silent past the negotiated receive interval: a frozen broker, or a slow one. */
  get overdue(): boolean {
    return this.state === 'open' && this.receiveInterval > 0 && this.silentFor() > this.receiveInterval;
  }

  /**
   * Resolves as soon as the link is {@link ready} (at once when it is, else when the broker is
   * heard from again or the socket drains); rejects with the reason when it closes first.
   */
  alive(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Error('relay connection closed'));
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.off('close', onClose);
        this.off('alive', onChange);
        this.off('drain', onChange);
      };
      const onClose = (reason: string): void => {
        done();
        reject(new Error(reason));
      };
      const onChange = (): void => {
        if (!this.ready) return;
        done();
        resolve();
      };
      this.on('close', onClose);
      this.on('alive', onChange);
      this.on('drain', onChange);
    });
  }

  /** Writes one frame (STOMP 1.2 encoding); false when the connection is not open. */
  send(command: Command, headers: Iterable<readonly [string, string]>, body?: Uint8Array): boolean {
    if (this.state !== 'open') return false;
    this.socket.write(encodeFrame(command, headers, body, '1.2'));
    return true;
  }

  /** Sends DISCONNECT (when open) and ends the socket. */
  disconnect(): void {
    if (this.state === 'open') this.socket.write(encodeFrame('DISCONNECT', []));
    this.socket.end();
    this.close('disconnected');
  }

  /** Destroys the socket; emits `close` once. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopSending?.();
    this.stopChecking?.();
    this.socket.destroy();
    this.emit('close', reason);
  }

  private onFrame(frame: Frame): void {
    if (this.state === 'connecting') {
      if (frame.command !== 'CONNECTED') {
        this.close(`broker refused CONNECT: ${frame.headers.get('message') ?? frame.command}`);
        return;
      }
      this.connected = frame;
      this.state = 'open';
      this.startHeartbeats(frame.headers.get('heart-beat'));
      this.emit('open', frame);
      return;
    }
    this.emit('frame', frame);
  }

  private startHeartbeats(value: string | undefined): void {
    // A broker's malformed header turns heart-beats off rather than the connection.
    const broker = parseHeartBeat(value) ?? [0, 0];
    const { send, receive } = negotiateHeartBeat(this.endpoint.heartbeat, broker);
    if (send > 0) this.stopSending = this.clock.every(send, () => this.socket.write(HEARTBEAT));
    this.receiveInterval = receive;
    if (receive > 0) {
      this.stopChecking = this.clock.every(Math.max(1, Math.floor(receive / 4)), () => {
        const silent = this.silentFor();
        if (silent > receive * 2) this.close(`no heart-beat from the broker for ${silent} ms (more than twice the ${receive} ms interval)`);
      });
    }
  }
}
