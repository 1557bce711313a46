import { createHash } from 'node:crypto';
import type { Buffer } from 'node:buffer';
import { StompError } from '../errors';
import type { Logger } from '../logger';
import type { NodeId } from './cluster-message';
import { ENQUEUE, GIVE_BACK, SETTLE, SWEEP, TAKE, TOUCH } from './queue-scripts';
import type { RedisLike } from './redis-types';

const GROUP = 'stompbox';
/** How long a blocked read waits for new entries before the loop looks again (returned and claimable entries), ms. */
export const POLL_MS = 100;

/** What the RedisBroker gives its queues. */
export interface RedisQueueHost {
  readonly redis: RedisLike;
  readonly prefix: string;
  readonly nodeId: NodeId;
  readonly logger: Logger;
  /** Ms an entry stays pending to a silent consumer before a live node claims it. */
  readonly claimTimeout: number;
  /** Ms a node's own returned entries are left to other nodes first. */
  readonly returnGrace: number;
}

/** One entry as TAKE hands it over: stream id, envelope, expiry (`inf` or epoch ms), delivery count. */
export interface TakenEntry {
  readonly streamId: string;
  readonly envelope: Buffer;
  readonly expiresAt: number;
  readonly deliveries: number;
}

/**
 * The Redis side of the cluster queues: the scripts of queue-scripts.ts on one stream per
 * queue (`<prefix>q:<queue key>`) and group `stompbox`, this node reading as consumer `nodeId`.
 * Every failure rejects with `STOMP_ERR_BROKER_UNAVAILABLE` (docs/cluster.md "What a Redis
 * outage loses").
 */
export class QueueStreams {
  private readonly sha = new Map<string, string>();
  private blocking: RedisLike | undefined;
  /** XAUTOCLAIM cursor per stream (absent: from the start). */
  private readonly cursors = new Map<string, string>();

  constructor(readonly host: RedisQueueHost) {}

  streamOf(key: string): string {
    return `${this.host.prefix}q:${key}`;
  }

  /** XADD (trimmed to `max`, or refused when `reject`): how many old entries were trimmed, or -1 when refused. */
  async append(stream: string, max: number, reject: boolean, envelope: Buffer, expiresAt: number): Promise<number> {
    const x = expiresAt === Number.POSITIVE_INFINITY ? 'inf' : String(expiresAt);
    return Number(await this.run(ENQUEUE, stream, [GROUP, String(max), reject ? '1' : '0', envelope, x]));
  }

  /** Up to `count` entries for this node: returned ones, claimable ones (idle past claimTimeout), then new ones. */
  async take(stream: string, count: number): Promise<TakenEntry[]> {
    const h = this.host;
    const cursor = this.cursors.get(stream) ?? '0-0';
    const flat = (await this.run(TAKE, stream, [GROUP, h.nodeId, String(count), String(h.claimTimeout), String(h.returnGrace), cursor])) as Buffer[];
    const next = flat[0]?.toString() ?? '0-0';
    if (next === '0-0') this.cursors.delete(stream);
    else this.cursors.set(stream, next);
    const out: TakenEntry[] = [];
    for (let i = 1; i + 3 < flat.length; i += 4) {
      const x = flat[i + 2].toString();
      out.push({ streamId: flat[i].toString(), envelope: flat[i + 1], expiresAt: x === 'inf' ? Number.POSITIVE_INFINITY : Number(x), deliveries: Number(flat[i + 3].toString()) });
    }
    return out;
  }

  /** Deletes up to `limit` waiting entries expired at `now`; returns their ids and envelopes. */
  async sweep(stream: string, now: number, limit: number): Promise<{ streamId: string; envelope: Buffer }[]> {
    const flat = (await this.run(SWEEP, stream, [GROUP, String(now), String(limit)])) as Buffer[];
    const out: { streamId: string; envelope: Buffer }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ streamId: flat[i].toString(), envelope: flat[i + 1] });
    return out;
  }

  /** XACK and XDEL. */
  settle(stream: string, ids: readonly string[]): Promise<unknown> {
    return this.run(SETTLE, stream, [GROUP, ...ids]);
  }

  /** Returns entries this node holds to its `~r:` consumer; `pairs` are id, delivery count to keep. */
  giveBack(stream: string, pairs: readonly string[]): Promise<unknown> {
    return this.run(GIVE_BACK, stream, [GROUP, this.host.nodeId, ...pairs]);
  }

  /** Resets the idle time of entries this node still holds. */
  touch(stream: string, ids: readonly string[]): Promise<unknown> {
    return this.run(TOUCH, stream, [GROUP, this.host.nodeId, ...ids]);
  }

  /** Blocks (on a connection of its own) until one of `streams` gets a new entry, or POLL_MS; resolves with the streams that got one. */
  async waitForEntries(streams: readonly string[]): Promise<string[]> {
    if (this.blocking === undefined) {
      this.blocking = this.host.redis.duplicate();
      this.blocking.on('error', () => undefined); // the loop retries; RedisBroker reports the outage
    }
    if (this.blocking.status !== 'ready') {
      await sleep(POLL_MS);
      return [];
    }
    try {
      const reply = (await this.blocking.callBuffer('XREAD', 'BLOCK', String(POLL_MS), 'STREAMS', ...streams, ...streams.map(() => '$'))) as [Buffer, unknown][] | null;
      return reply === null ? [] : reply.map(([name]) => name.toString());
    } catch {
      await sleep(POLL_MS);
      return [];
    }
  }

  /** Forgets what this node kept of a stream it no longer reads. */
  forget(stream: string): void {
    this.cursors.delete(stream);
  }

  close(): void {
    this.blocking?.disconnect();
  }

  /** EVALSHA, or EVAL when Redis does not know the script yet. */
  private async run(script: string, key: string, argv: readonly (string | Buffer)[]): Promise<unknown> {
    let sha = this.sha.get(script);
    if (sha === undefined) this.sha.set(script, (sha = createHash('sha1').update(script).digest('hex')));
    try {
      try {
        return await this.host.redis.callBuffer('EVALSHA', sha, '1', key, ...argv);
      } catch (err) {
        if (!String(err).includes('NOSCRIPT')) throw err;
        return await this.host.redis.callBuffer('EVAL', script, '1', key, ...argv);
      }
    } catch (err) {
      throw new StompError('STOMP_ERR_BROKER_UNAVAILABLE', `Redis did not answer for the queue (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
