import type { Buffer } from 'node:buffer';
import { StompError } from '../errors';

/**
 * The part of an ioredis client the cluster code uses. Declared here so that `ioredis` stays
 * an optional peer dependency: nothing imports it unless a Redis broker is built from options.
 */
export interface RedisLike {
  readonly status: string;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  hset(key: string, field: string, value: string): Promise<unknown>;
  hdel(key: string, field: string): Promise<unknown>;
  del(key: string): Promise<unknown>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
  /** A command whose reply keeps its bulk strings as Buffers (the message store's scripts). */
  callBuffer(command: string, ...args: (string | Buffer)[]): Promise<unknown>;
  publish(channel: string, message: Buffer): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  psubscribe(...patterns: string[]): Promise<unknown>;
  punsubscribe(...patterns: string[]): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
  duplicate(): RedisLike;
}

/** Connection settings for the Redis clients the broker creates itself. */
export interface RedisConnectionOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 6379 */
  port?: number;
  password?: string;
  db?: number;
}

/**
 * Creates an ioredis client, requiring `ioredis` only now (optional peer dependency).
 * Offline queueing is off: the broker buffers cluster messages itself, with a bound.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` when ioredis is not installed, naming the package to add
 */
export function createRedis(options: RedisConnectionOptions, retry: (attempt: number) => number): RedisLike {
  let Redis: new (opts: object) => RedisLike;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('ioredis') as { default?: unknown; Redis?: unknown };
    Redis = (mod.Redis ?? mod.default ?? mod) as new (opts: object) => RedisLike;
  } catch {
    throw new StompError('STOMP_ERR_INVALID_OPTION', 'RedisBroker needs the "ioredis" package (an optional peer dependency): npm install ioredis, or pass option client');
  }
  return new Redis({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 6379,
    password: options.password,
    db: options.db,
    lazyConnect: false,
    enableOfflineQueue: false,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: retry,
  });
}
