import type { Buffer } from 'node:buffer';
import type { Logger } from '../logger';
import type { RedisLike } from './redis-types';

/** The counts {@link HeldPublishes} keeps (fields of `RedisBroker.stats`). */
export interface PublishCounts {
  published: number;
  buffered: number;
  dropped: number;
  failed: number;
}

/**
 * A node's PUBLISHes of cluster messages (destinations no rule retains, user messages): sent at
 * once while Redis is up; while it is not, held in order up to `maxBuffered` (past it dropped,
 * counted and logged once per 1000), and sent `flushDelay` ms after the connection is back, so
 * the other nodes have re-subscribed by then. Until that flush new messages queue behind the
 * held ones, keeping the publish order.
 */
export class HeldPublishes {
  private readonly held: [string, Buffer][] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pub: RedisLike,
    private readonly counts: PublishCounts,
    private readonly maxBuffered: number,
    private readonly flushDelay: number,
    private readonly logger: Logger,
    private readonly nodeId: string,
  ) {}

  /** Messages held now. */
  get size(): number {
    return this.held.length;
  }

  send(channel: string, data: Buffer): void {
    if (this.pub.status !== 'ready' || this.held.length > 0) {
      if (this.held.length >= this.maxBuffered) {
        if (this.counts.dropped++ % 1000 === 0) {
          this.logger.warn({ node: this.nodeId, dropped: this.counts.dropped, maxBuffered: this.maxBuffered }, 'Redis unreachable and maxBuffered reached: dropping cluster messages');
        }
        return;
      }
      this.counts.buffered++;
      this.held.push([channel, data]);
      return;
    }
    this.publish(channel, data);
  }

  /** The publisher connection is (again) up: sends what is held after `flushDelay`. */
  connected(): void {
    if (this.held.length === 0 || this.timer !== undefined) return;
    this.timer = setTimeout(() => this.flush(), this.flushDelay);
    this.timer.unref();
  }

  /** The node closes: held messages die with it (counted as dropped). */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.counts.dropped += this.held.splice(0).length;
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pub.status !== 'ready') return; // the next 'ready' schedules it again
    const held = this.held.splice(0);
    this.logger.info({ node: this.nodeId, messages: held.length }, 'Sending cluster messages held during the Redis outage');
    for (const [channel, data] of held) this.publish(channel, data);
  }

  private publish(channel: string, data: Buffer): void {
    this.counts.published++;
    this.pub.publish(channel, data).catch(() => {
      this.counts.failed++;
    });
  }
}
