import type { ResumeInfo, StreamPosition, StreamStart } from './stream';

/** Removes a subscription; `ready` resolves once the server confirmed it the first time. */
export interface Unsubscribe {
  (): void;
  readonly id: string;
  /** Resolves on the first RECEIPT; rejects when the server answers the SUBSCRIBE with ERROR or the client closes. */
  readonly ready: Promise<void>;
  /** The position of the last retained message received (`x-stream-offset`, `x-stream-epoch`): store it to resume later with `from: { after }`. */
  position(): StreamPosition | undefined;
}

/** Options of one subscription. */
export interface SubscribeOptions {
  /** @defaultValue `'auto'` */
  ack?: 'auto' | 'client' | 'client-individual';
  /** Extra SUBSCRIBE headers. @defaultValue `{}` */
  headers?: Record<string, string>;
  /**
   * Where the history of a retained destination starts (`x-stream-offset`): `'first'`, `'last'`,
   * an offset, a `Date`, or `{ after: position }` with a position stored earlier.
   * @defaultValue live messages only (`'next'`)
   */
  from?: StreamStart;
  /**
   * Resume by itself after a reconnect: re-subscribe just after the last message received, with
   * its epoch, and drop any message seen twice. @defaultValue `true`
   */
  resume?: boolean;
  /** Told after each SUBSCRIBE with history whether the server served it in full (also the `resumed` event). */
  onResume?: (info: ResumeInfo) => void;
}

/** Options of one publish. */
export interface PublishOptions {
  /** Ask for a RECEIPT and resolve only once it arrived. @defaultValue `false` */
  receipt?: boolean;
  /** Time allowed for the receipt, ms. @defaultValue the client's `timeout` */
  timeout?: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Time allowed for the reply, ms. @defaultValue the client's `timeout` */
  timeout?: number;
  /**
   * `'reply-queue'`: SEND with `reply-to` and `correlation-id`, answered by `ctx.reply()` on the
   * per-session reply queue. `'subscribe'`: SUBSCRIBE, answered by an `onSubscribe` handler
   * (Spring's `@SubscribeMapping`); the first message is the reply. @defaultValue `'reply-queue'`
   */
  via?: 'reply-queue' | 'subscribe';
  /** Extra SEND (or SUBSCRIBE) headers. @defaultValue `{}` */
  headers?: Record<string, string>;
}
