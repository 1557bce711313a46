import { invalidOption, refuseUnknown } from '../option-kit';

/**
 * The SQLite durable store (docs/store.md): one file keeps retained history and persistent
 * queue messages across restarts.
 *
 * @example
 * { sqlite: { file: './stompbox.db', maxBytes: 256 * 1024 * 1024 } }
 */
export interface SqliteStoreOptions {
  /** Path of the database file (created when absent; `-wal` beside it). */
  file: string;
  /**
   * Bytes of stored messages (bodies, headers, a fixed cost each, as `retentionBytes` counts)
   * the file may hold. At it, the oldest retained messages go first; a persistent queue message
   * that does not fit is refused with ERROR `STOMP_ERR_STORE_FULL`. The file itself is capped at
   * `2 × maxBytes + 16 MiB`. @defaultValue `1073741824` (1 GiB)
   */
  maxBytes?: number;
  /**
   * When a commit counts as done: `'full'` waits for the disk (fsync at every commit: survives a
   * power loss), `'normal'` for the operating system (survives `kill -9` of the broker, not a
   * power loss or OS crash; SQLite's WAL `synchronous=NORMAL`). @defaultValue `'full'`
   */
  synchronous?: 'full' | 'normal';
  /**
   * Which queue messages are kept: `'persistent'` those whose SEND had `persistent:true`
   * (RabbitMQ's and ActiveMQ's header), `'all'` every one. @defaultValue `'persistent'`
   */
  queues?: 'persistent' | 'all';
}

/** The `store` option: `'memory'` (nothing survives a restart) or `{ sqlite }`. */
export type StoreOption = 'memory' | { sqlite: SqliteStoreOptions };

export type ResolvedSqliteOptions = Readonly<Required<SqliteStoreOptions>>;
export type ResolvedStoreOption = 'memory' | Readonly<{ sqlite: ResolvedSqliteOptions }>;

export const SQLITE_DEFAULTS = Object.freeze({
  maxBytes: 1024 * 1024 * 1024, // bytes of stored messages
  synchronous: 'full' as const, // fsync at every commit
  queues: 'persistent' as const, // SEND header persistent:true
});

const SQLITE_KEYS: ReadonlySet<string> = new Set(['file', 'maxBytes', 'synchronous', 'queues']);
const STORE_KEYS: ReadonlySet<string> = new Set(['sqlite']);

/**
 * Validates the `store` option and freezes it with its defaults.
 * @throws StompError `STOMP_ERR_INVALID_OPTION` naming the field at fault
 */
export function resolveStoreOption(value: unknown): ResolvedStoreOption {
  if (value === 'memory') return 'memory';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('store', '"memory" or { sqlite: { file, maxBytes, synchronous, queues } }', value);
  refuseUnknown(value, STORE_KEYS, '', 'store.');
  const { sqlite } = value as Record<string, unknown>;
  if (typeof sqlite !== 'object' || sqlite === null || Array.isArray(sqlite)) fail('store.sqlite', 'an object { file, maxBytes, synchronous, queues }', sqlite);
  const s = sqlite as Record<string, unknown>;
  refuseUnknown(s, SQLITE_KEYS, '', 'store.sqlite.');
  if (typeof s.file !== 'string' || s.file === '' || s.file.includes('\0')) fail('store.sqlite.file', 'a non-empty file path', s.file);
  const maxBytes = s.maxBytes ?? SQLITE_DEFAULTS.maxBytes;
  if (!Number.isSafeInteger(maxBytes) || (maxBytes as number) < 65536) fail('store.sqlite.maxBytes', 'an integer ≥ 65536 (bytes)', maxBytes);
  const synchronous = s.synchronous ?? SQLITE_DEFAULTS.synchronous;
  if (synchronous !== 'full' && synchronous !== 'normal') fail('store.sqlite.synchronous', '"full" or "normal"', synchronous);
  const queues = s.queues ?? SQLITE_DEFAULTS.queues;
  if (queues !== 'persistent' && queues !== 'all') fail('store.sqlite.queues', '"persistent" or "all"', queues);
  return Object.freeze({ sqlite: Object.freeze({ file: s.file, maxBytes: maxBytes as number, synchronous, queues }) });
}

function fail(option: string, expected: string, got: unknown): never {
  return invalidOption(option, expected, got);
}
