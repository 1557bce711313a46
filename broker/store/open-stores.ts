import type { Logger } from '../logger';
import { MemoryQueueStore, type QueueStore } from '../queues/queue-store';
import { MemoryMessageStore } from '../retention/memory-store';
import type { MessageStore } from '../retention/message-store';
import { SqliteDatabase } from './sqlite-database';
import { SqliteMessageStore } from './sqlite-message-store';
import { SqliteQueueStore } from './sqlite-queue-store';
import type { ResolvedStoreOption } from './store-options';

/** The two stores a server uses: retained history and queue messages. */
export interface Stores {
  readonly messageStore: MessageStore;
  readonly queueStore: QueueStore;
  /** The SQLite file behind both, when the `store` option names one. */
  readonly database: SqliteDatabase | undefined;
}

/**
 * The stores the `store` option asks for, unless the application passed its own
 * (`messageStore`, `queueStore`): memory, or both parts of one SQLite file.
 * @throws StompError `STOMP_ERR_STORE_UNAVAILABLE` when the file cannot be used; `STOMP_ERR_INVALID_OPTION` without better-sqlite3
 */
export function openStores(
  option: ResolvedStoreOption,
  logger: Logger,
  retentionBytes: number,
  given: { messageStore?: MessageStore; queueStore?: QueueStore },
): Stores {
  if (option === 'memory' || (given.messageStore !== undefined && given.queueStore !== undefined)) {
    return { messageStore: given.messageStore ?? new MemoryMessageStore(retentionBytes), queueStore: given.queueStore ?? new MemoryQueueStore(), database: undefined };
  }
  const database = SqliteDatabase.open(option.sqlite, logger);
  return {
    messageStore: given.messageStore ?? new SqliteMessageStore(database, retentionBytes),
    queueStore: given.queueStore ?? new SqliteQueueStore(database),
    database,
  };
}
