/**
 * A bystander: an ordinary, well-behaved session next to an attack. It is a real
 * @stomp/stompjs client (over plain WebSocket, or sockjs-client forced to one transport) that
 * subscribes to a destination of its own and publishes a numbered message to it every
 * `interval` ms, recording each round trip. A broker that stalls shows up as a long round trip
 * (`maxRtt()` counts a message still in flight by its age, so a broker stuck for good never
 * looks fast); one that drops, duplicates or reorders shows up in `inOrder()`; one that drops
 * the session shows up in `alive`.
 */
import { Client, type IMessage } from '@stomp/stompjs';
import { performance } from 'node:perf_hooks';
import { socketFactory, type Transport } from './clients';

export interface BystanderOptions {
  /** How the bystander reaches the broker. @defaultValue `'websocket'` */
  transport?: Transport;
  /** Milliseconds between two publishes. @defaultValue `25` */
  interval?: number;
  /** Its own destination. @defaultValue `/topic/bystander-<n>` */
  destination?: string;
}

/** What a bystander saw, for assertions and logs. */
export interface BystanderReport {
  readonly sent: number;
  readonly received: number;
  readonly maxRttMs: number;
  readonly medianRttMs: number;
  readonly inOrder: boolean;
  readonly alive: boolean;
}

let counter = 0;

export class Bystander {
  /** Round trips of the messages received, ms, in arrival order. */
  readonly rtts: number[] = [];
  /** Sequence numbers received, in arrival order. */
  readonly received: number[] = [];
  private readonly seen = new Set<number>();
  /** Why the session ended, if it did. */
  lostReason: string | undefined;
  private readonly sentAt: number[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private interval = 25;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly client: Client,
    private readonly destination: string,
  ) {}

  /**
   * Connects to the endpoint at `base` (`http://127.0.0.1:<port><endpoint>`), subscribes with a
   * receipt, checks one round trip and starts publishing.
   */
  static async start(base: string, options: BystanderOptions = {}): Promise<Bystander> {
    const destination = options.destination ?? `/topic/bystander-${++counter}`;
    const client = new Client({
      webSocketFactory: socketFactory(base, options.transport ?? 'websocket'),
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      debug: () => undefined,
    });
    const bystander = new Bystander(client, destination);
    await new Promise<void>((resolve, reject) => {
      client.onConnect = () => resolve();
      client.onStompError = (f) => reject(new Error(`bystander got ERROR ${f.headers.code}: ${f.headers.message}`));
      client.onWebSocketClose = () => reject(new Error('bystander socket closed before CONNECTED'));
      client.activate();
    });
    client.onStompError = (f) => bystander.lose(`ERROR ${f.headers.code}: ${f.headers.message}`);
    client.onWebSocketClose = (e: { code?: number }) => bystander.lose(`socket closed (${e?.code})`);
    await new Promise<void>((resolve) => {
      client.watchForReceipt('bystander-sub', () => resolve());
      client.subscribe(destination, (m) => bystander.onMessage(m), { receipt: 'bystander-sub' });
    });
    bystander.publish();
    await bystander.caughtUp(5000);
    bystander.interval = options.interval ?? 25;
    bystander.resume();
    return bystander;
  }

  /** True while the session is connected and has seen no ERROR. */
  get alive(): boolean {
    return this.lostReason === undefined && this.client.connected;
  }

  get sent(): number {
    return this.sentAt.length;
  }

  /**
   * The longest round trip so far, ms; a message still in flight counts with its age, so a
   * broker that stopped answering reads as slow, not fast.
   */
  maxRtt(): number {
    let max = 0;
    for (const rtt of this.rtts) if (rtt > max) max = rtt;
    const now = performance.now();
    for (let seq = 0; seq < this.sentAt.length; seq++) {
      if (!this.seen.has(seq)) max = Math.max(max, now - this.sentAt[seq]);
    }
    return max;
  }

  /** Age of the oldest message still in flight, ms (0 when none is). */
  oldestInFlight(): number {
    while (this.seen.has(this.firstMissing)) this.firstMissing++;
    return this.firstMissing < this.sentAt.length ? performance.now() - this.sentAt[this.firstMissing] : 0;
  }

  private firstMissing = 0;

  /** True when every message received came once, in the order sent (0, 1, 2, ...). */
  inOrder(): boolean {
    return this.received.every((seq, i) => seq === i);
  }

  /** Resolves once every message sent so far came back; rejects after `ms` or once the session is lost. */
  caughtUp(ms = 5000): Promise<void> {
    const target = this.sentAt.length;
    return this.waitFor(`all ${target} messages back`, () => this.received.length >= target, ms);
  }

  /**
   * Resolves once `count` messages published from now on came back: proof that the broker
   * went on serving after whatever happened before this call. Rejects after `ms` or once the
   * session is lost.
   */
  more(count: number, ms = 5000): Promise<void> {
    const target = this.sentAt.length + count;
    return this.waitFor(`${count} more round trips`, () => this.received.length >= target, ms);
  }

  private waitFor(what: string, done: () => boolean, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (done()) resolve();
        else if (this.lostReason !== undefined) reject(new Error(`bystander lost its session (${this.lostReason}) waiting for ${what}`));
        else return false;
        clearTimeout(timer);
        this.listeners.delete(check);
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`bystander: no ${what} within ${ms} ms (${this.received.length} of ${this.sentAt.length} back)`));
      }, ms);
      if (!check()) this.listeners.add(check);
    });
  }

  /** Stops publishing for a while (so that "every message came back" can be checked exactly). */
  pause(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Publishes again every `interval` ms (after {@link pause}); nothing once the session is lost. */
  resume(): void {
    if (this.timer !== undefined || this.lostReason !== undefined) return;
    this.timer = setInterval(() => this.publish(), this.interval);
  }

  /**
   * Stops publishing, waits (up to `ms`) for what is in flight and reports. Never throws: the
   * report says what went wrong.
   */
  async stop(ms = 5000): Promise<BystanderReport> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.alive) await this.caughtUp(ms).catch(() => undefined);
    const report = this.report();
    await this.client.deactivate().catch(() => undefined);
    return report;
  }

  report(): BystanderReport {
    const sorted = [...this.rtts].sort((a, b) => a - b);
    return {
      sent: this.sentAt.length,
      received: this.received.length,
      maxRttMs: Math.round(this.maxRtt()),
      medianRttMs: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      inOrder: this.inOrder(),
      alive: this.alive,
    };
  }

  private publish(): void {
    if (!this.alive) return;
    const seq = this.sentAt.length;
    this.sentAt.push(performance.now());
    try {
      this.client.publish({ destination: this.destination, body: String(seq) });
    } catch (err) {
      this.lose(`publish failed: ${(err as Error).message}`);
    }
  }

  private onMessage(message: IMessage): void {
    const seq = Number(message.body);
    this.received.push(seq);
    this.seen.add(seq);
    this.rtts.push(performance.now() - (this.sentAt[seq] ?? Number.NaN));
    for (const l of [...this.listeners]) l();
  }

  private lose(reason: string): void {
    this.lostReason ??= reason;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const l of [...this.listeners]) l();
  }
}
