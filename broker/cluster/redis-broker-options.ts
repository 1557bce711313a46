import { freezeDefaults } from '../option-kit';
import type { Logger } from '../logger';
import type { NodeId } from './cluster-message';
import type { RedisConnectionOptions, RedisLike } from './redis-types';

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions {
  /** An ioredis client to use (the broker duplicates it for subscribing). @defaultValue one created from `redis` */
  client?: RedisLike;
  /** Where to connect when no `client` is given. @defaultValue 127.0.0.1:6379 */
  redis?: RedisConnectionOptions;
  /** Prefix of every key and channel, so several clusters can share one Redis. @defaultValue 'stompbox:' */
  prefix?: string;
  /** Milliseconds a node stays in the user registry without refreshing (crash detection). @defaultValue 15000 */
  presenceTtl?: number;
  /** Cluster messages held while Redis is unreachable; beyond this they are dropped and counted. @defaultValue 10000 */
  maxBuffered?: number;
  /** Reconnect backoff: first delay and cap, ms (doubling). @defaultValue [100, 5000] */
  reconnectDelay?: readonly [number, number];
  /**
   * After Redis comes back, ms to wait before sending held messages, so that other nodes
   * (reconnecting on their own backoff) have re-subscribed and do not miss them.
   * @defaultValue the reconnectDelay cap (5000)
   */
  flushDelay?: number;
  /** A pino-compatible logger. @defaultValue `createStderrLogger()`: stderr, `warn` and above */
  logger?: Logger;
  /** This node's id. @defaultValue random */
  nodeId?: NodeId;
  /**
   * Ms a queue message stays unacknowledged to a silent node (crashed, or cut from Redis)
   * before a live node claims and redelivers it (docs/queues.md "Cluster"). A live node keeps
   * its own in-flight messages fresh, however long its consumers take to ack.
   * @defaultValue 30000
   */
  queueClaimTimeout?: number;
}

/** The defaults of {@link RedisBrokerOptions} (units in comments); frozen. */
export const REDIS_BROKER_DEFAULTS = freezeDefaults({
  prefix: 'stompbox:',
  presenceTtl: 15000, // ms
  maxBuffered: 10000, // cluster messages
  reconnectDelay: [100, 5000] as readonly [number, number], // ms: first delay, cap
  queueClaimTimeout: 30000, // ms
});

/** The options of {@link RedisBrokerOptions} without an entry in REDIS_BROKER_DEFAULTS (`flushDelay` defaults to the reconnectDelay cap). */
export const REDIS_BROKER_OPTIONS_WITHOUT_DEFAULT = Object.freeze(['client', 'redis', 'flushDelay', 'logger', 'nodeId'] as const);

export const REDIS_BROKER_OPTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(REDIS_BROKER_DEFAULTS), ...REDIS_BROKER_OPTIONS_WITHOUT_DEFAULT]);
type UnlistedRedisOption = Exclude<keyof RedisBrokerOptions, keyof typeof REDIS_BROKER_DEFAULTS | (typeof REDIS_BROKER_OPTIONS_WITHOUT_DEFAULT)[number]>;
const everyRedisOptionIsListed: [UnlistedRedisOption] extends [never] ? true : UnlistedRedisOption = true;
void everyRedisOptionIsListed;

/** What a node counted since it started. */
export interface RedisBrokerStats {
  /** Envelopes handed to Redis (destination and user messages). */
  published: number;
  /** Envelopes held because Redis was unreachable (or queued behind held ones until the flush). */
  buffered: number;
  /** Envelopes dropped because the buffer was full (Redis unreachable). */
  dropped: number;
  /** PUBLISHes Redis did not confirm because the connection broke under them. */
  failed: number;
  /** Envelopes received from other nodes and delivered here. */
  received: number;
  /** Times the subscriber connection was (re)established with its channels restored; 1 after the first connect. */
  reconnects: number;
}
