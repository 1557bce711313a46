import type { BrokerMessage } from '../messaging/broker-message';
import type { Offset } from './message-store';

/**
 * Bytes of rebuilt messages a store keeps for the readers that follow: a reconnect storm has
 * thousands of sessions read the same messages, and they share one rebuilt message (and so one
 * encoded frame per subscription id) instead of each decoding and encoding its own.
 */
export const REPLAY_CACHE_BYTES = 4 * 1024 * 1024;

/**
 * The messages a store rebuilt for a read (from its records, its rows or a Redis stream),
 * kept for the next readers of the same offsets, oldest evicted first past {@link REPLAY_CACHE_BYTES}.
 * A history is named by something unique to it and its epoch, so a history that was lost and
 * started again never meets the old one's messages. Only offsets the store itself found are
 * looked up: the cache never answers for a message the store no longer has.
 */
export class ReplayCache {
  private readonly byHistory = new Map<string, Map<Offset, BrokerMessage>>();
  /** What is kept, oldest first, and its cost. */
  private readonly order: { history: string; offset: Offset; cost: number }[] = [];
  private kept = 0;

  constructor(private readonly limit = REPLAY_CACHE_BYTES) {}

  /** Bytes counted for what is kept now. */
  get bytes(): number {
    return this.kept;
  }

  /**
   * The message of `offset` of `history`: the one kept, else what `rebuild` makes (undefined:
   * the store has none there), kept for the readers that follow when small enough to be worth it.
   */
  shared(history: string, offset: Offset, rebuild: () => BrokerMessage | undefined): BrokerMessage | undefined {
    let offsets = this.byHistory.get(history);
    const had = offsets?.get(offset);
    if (had !== undefined) return had;
    const message = rebuild();
    if (message === undefined) return undefined;
    // The body, at most three encoded frames kept (each about as large) and the objects around them.
    message.frameCacheLimit = 2;
    const cost = 4 * message.body.byteLength + 512;
    if (cost > this.limit / 64) return message;
    if (offsets === undefined) this.byHistory.set(history, (offsets = new Map()));
    offsets.set(offset, message);
    this.order.push({ history, offset, cost });
    this.kept += cost;
    while (this.kept > this.limit) {
      const oldest = this.order.shift()!;
      const of = this.byHistory.get(oldest.history)!;
      of.delete(oldest.offset);
      if (of.size === 0) this.byHistory.delete(oldest.history);
      this.kept -= oldest.cost;
    }
    return message;
  }
}
