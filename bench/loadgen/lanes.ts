import { SseSubscriber } from './sse-subscriber';
import { StompClient, type Target, type Transport } from './stomp-client';
import { fixedBody, sendFrame, subscribeFrame, type ExtraHeaders } from './stomp-frames';

type FrameView = (buf: Buffer, start: number, end: number) => void;

/** A subscriber of a lane: a STOMP session on any transport, or an SSE stream. */
export type Subscriber = StompClient | SseSubscriber;

/** One publisher, one destination and its subscribers. */
export interface Lane {
  readonly destination: string;
  readonly publisher: StompClient;
  readonly subscribers: Subscriber[];
  /** Messages published that the subscribers should receive (with a selector, the matching half). */
  published: number;
  delivered: number;
}

/** How the lanes of a fan-out scenario are built. */
export interface LaneOptions {
  /** Subscribers' transport. */
  transport: Transport;
  /** Publishers' transport: plain WebSocket unless a scenario says TCP. */
  publisherTransport?: 'ws' | 'tcp';
  lanes: number;
  fanout: number;
  /**
   * Selector variant: every subscriber's SUBSCRIBE carries `subscribe` (its `selector`), and
   * published messages alternate between `match` headers and `other` headers, so half of them
   * are for the subscribers.
   */
  selector?: { subscribe: ExtraHeaders; match: ExtraHeaders; other: ExtraHeaders };
  /** Path of the SSE endpoint, for the `sse` transport. */
  ssePath?: string;
}

/** How many connections are opened at once: bounded so the listen backlog never overflows. */
const CONNECT_CONCURRENCY = 100;

/** Runs `tasks` with at most `limit` in flight. */
export async function inBatches<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

/**
 * Opens `lanes` lanes of one publisher and `fanout` subscribers (subscription id `sub-0` in
 * every session, as stompjs names its first one). `onMessage(lane)` builds the per-message
 * callback of a lane's subscribers.
 */
export async function openLanes(target: Target, options: LaneOptions, onMessage: (lane: Lane) => FrameView): Promise<Lane[]> {
  const out: Lane[] = [];
  const { transport } = options;
  for (let l = 0; l < options.lanes; l++) {
    const lane: Lane = {
      destination: `/topic/bench.${l}`,
      publisher: new StompClient(options.publisherTransport ?? 'ws', target),
      subscribers: [],
      published: 0,
      delivered: 0,
    };
    const view = onMessage(lane);
    for (let s = 0; s < options.fanout; s++) {
      if (transport !== 'sse') lane.subscribers.push(new StompClient(transport, target, view));
      else if (options.ssePath === undefined) throw new Error('the sse transport needs an SSE path');
      else lane.subscribers.push(new SseSubscriber(target.port, options.ssePath, view));
    }
    out.push(lane);
  }
  const stomp = out.flatMap((lane) => [lane.publisher, ...lane.subscribers]).filter((c): c is StompClient => c instanceof StompClient);
  await inBatches(stomp.length, CONNECT_CONCURRENCY, (i) => stomp[i].connect());
  const sse: [SseSubscriber, string][] = [];
  for (const lane of out) {
    for (const sub of lane.subscribers) {
      if (sub instanceof SseSubscriber) sse.push([sub, lane.destination]);
      else sub.send(subscribeFrame('sub-0', lane.destination, undefined, options.selector?.subscribe));
    }
  }
  await inBatches(sse.length, CONNECT_CONCURRENCY, (i) => sse[i][0].subscribe(sse[i][1]));
  await probe(out, options.selector?.match);
  return out;
}

/**
 * Publishes one message per lane until every subscriber has received one: proof that every
 * SUBSCRIBE took effect, for brokers that send no RECEIPT for SUBSCRIBE (stomp-broker-js).
 */
async function probe(lanes: Lane[], headers: ExtraHeaders | undefined): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    for (const lane of lanes) {
      lane.publisher.send(sendFrame(lane.destination, fixedBody(), undefined, headers));
      lane.published++;
    }
    await new Promise((r) => setTimeout(r, 50));
    if (lanes.every((lane) => lane.subscribers.every((s) => s.counts.message > 0))) break;
    if (Date.now() > deadline) throw new Error('subscribers did not receive the probe within 20 s');
  }
  // Probes sent before a SUBSCRIBE took effect never reach that subscriber: once the last
  // ones have landed, count the lane as fully delivered so the window starts exact.
  await new Promise((r) => setTimeout(r, 200));
  for (const lane of lanes) lane.published = Math.ceil(lane.delivered / lane.subscribers.length);
}

/** Frames per pre-encoded block written by the publisher in one call. */
const BLOCK = 64;

/**
 * Keeps every lane publishing as fast as its in-flight window allows: a lane may be ahead of
 * its slowest-on-average subscriber by at most `window` messages. The pump runs once per
 * event-loop turn in which frames arrived, and on a 5 ms timer in case nothing arrives. With
 * a selector the blocks alternate matching and other messages, and the window counts the
 * matching ones (what the subscribers receive).
 */
export class Pump {
  private readonly block: Buffer[];
  private readonly frameLen: number[];
  private scheduled = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;
  private readonly waitingDrain = new Set<Lane>();

  private readonly halves: boolean;

  constructor(
    private readonly lanes: Lane[],
    private readonly window: number,
    selector?: LaneOptions['selector'],
    /** Headers of every SEND when there is no selector (S8's padding). */
    padding?: ExtraHeaders,
  ) {
    this.halves = selector !== undefined;
    // Every frame of a block has the same length, so a prefix of k frames is k × frameLen bytes:
    // the match and other headers of a selector are padded to one length.
    const headers = (i: number): ExtraHeaders | undefined => (selector === undefined ? padding : i % 2 === 0 ? selector.match : selector.other);
    this.block = lanes.map((lane) =>
      Buffer.concat(Array.from({ length: BLOCK }, (_, i) => lane.publisher.encode(sendFrame(lane.destination, fixedBody(), undefined, headers(i))))),
    );
    this.frameLen = this.block.map((b) => b.length / BLOCK);
    const kick = (): void => this.schedule();
    for (const lane of lanes) for (const sub of lane.subscribers) sub.onActivity = kick;
    this.timer = setInterval(kick, 5);
    this.schedule();
  }

  /** Stops publishing. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const lane of this.lanes) for (const sub of lane.subscribers) sub.onActivity = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    if (this.stopped) return;
    for (let l = 0; l < this.lanes.length; l++) {
      const lane = this.lanes[l];
      if (this.waitingDrain.has(lane)) continue;
      const fanout = lane.subscribers.length;
      let room = this.window - Math.ceil((lane.published * fanout - lane.delivered) / fanout);
      if (this.halves) room *= 2;
      while (room > 0) {
        const k = Math.min(room, BLOCK);
        lane.published += this.halves ? Math.ceil(k / 2) : k;
        room -= k;
        const ok = lane.publisher.writeEncoded(k === BLOCK ? this.block[l] : this.block[l].subarray(0, k * this.frameLen[l]));
        if (!ok) {
          this.waitingDrain.add(lane);
          void lane.publisher.drained().then(() => {
            this.waitingDrain.delete(lane);
            this.schedule();
          });
          break;
        }
      }
    }
  }
}

/** Total deliveries over all lanes. */
export function delivered(lanes: Lane[]): number {
  let n = 0;
  for (const lane of lanes) n += lane.delivered;
  return n;
}

/** Total publishes over all lanes. */
export function published(lanes: Lane[]): number {
  let n = 0;
  for (const lane of lanes) n += lane.published;
  return n;
}

/** Closes every connection of every lane. */
export function closeLanes(lanes: readonly Lane[]): void {
  for (const lane of lanes) {
    lane.publisher.close();
    for (const sub of lane.subscribers) sub.close();
  }
}
