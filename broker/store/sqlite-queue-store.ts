import { StompError } from '../errors';
import { BrokerMessage } from '../messaging/broker-message';
import type { LoadedEntry, QueueEntry, QueueStore, QueueStoreStats, RemoveReason } from '../queues/queue-store';
import { RECORD_OVERHEAD } from '../retention/memory-store';
import type { SqliteDatabase, SqliteStatement, StorePart } from './sqlite-database';
import { decodeHeaders, encodeHeaders } from './stored-message';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queued (
  id INTEGER PRIMARY KEY, queue TEXT NOT NULL, destination TEXT NOT NULL, user TEXT,
  message_id TEXT NOT NULL, content_type TEXT, headers TEXT, body BLOB NOT NULL, text INTEGER NOT NULL,
  expires_at INTEGER, deliveries INTEGER NOT NULL, in_flight INTEGER NOT NULL, size INTEGER NOT NULL
);
`;

interface Row {
  id: number;
  queue: string;
  destination: string;
  user: string | null;
  message_id: string;
  content_type: string | null;
  headers: string | null;
  body: Buffer;
  text: number;
  expires_at: number | null;
  deliveries: number;
  in_flight: number;
}

/** True when the message's SEND had `persistent:true` (RabbitMQ's and ActiveMQ's header). */
export function isPersistent(message: BrokerMessage): boolean {
  for (const [name, value] of message.headers) if (name === 'persistent') return value === 'true';
  return false;
}

/**
 * The SQLite {@link QueueStore} (docs/store.md): the queue engine's messages and their
 * in-flight state in the store's file. It keeps the entries whose SEND had `persistent:true`
 * (or every entry with `store.sqlite.queues: 'all'`) and answers at once for the others.
 *
 * What waits for a COMMIT (one transaction per event-loop turn, shared with retained history):
 * an enqueue (the SEND's RECEIPT) and an ack (the ACK's RECEIPT). Delivered and requeued marks
 * are written in the same turn's transaction but gate nothing: after a crash an entry last
 * seen in flight comes back as a redelivery, its delivery counted.
 */
export class SqliteQueueStore implements QueueStore, StorePart {
  /** Ids of the entries kept in the file, with the bytes each counts. */
  private kept = new Map<number, number>();
  private readonly all: boolean;
  private closed = false;
  private readonly sql: Record<'insert' | 'mark' | 'remove', SqliteStatement>;

  constructor(private readonly db: SqliteDatabase) {
    db.handle.exec(SCHEMA);
    this.all = db.options.queues === 'all';
    const h = db.handle;
    this.sql = {
      insert: h.prepare('INSERT OR REPLACE INTO queued (id, queue, destination, user, message_id, content_type, headers, body, text, expires_at, deliveries, in_flight, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)'),
      mark: h.prepare('UPDATE queued SET deliveries = ?, in_flight = ? WHERE id = ?'),
      remove: h.prepare('DELETE FROM queued WHERE id = ?'),
    };
    this.reload();
    db.attach(this);
  }

  load(): readonly LoadedEntry[] {
    this.db.flush();
    const rows = this.db.handle.prepare('SELECT * FROM queued ORDER BY id').all() as Row[];
    return rows.map((r) => ({
      inFlight: r.in_flight === 1,
      entry: {
        id: r.id,
        queue: r.queue,
        destination: r.destination,
        user: r.user ?? undefined,
        message: new BrokerMessage(r.destination, r.body, r.content_type ?? undefined, decodeHeaders(r.headers), r.message_id, r.text === 1),
        expiresAt: r.expires_at ?? Number.POSITIVE_INFINITY,
        deliveries: r.deliveries,
      },
    }));
  }

  enqueue(entry: QueueEntry): void | Promise<void> {
    const message = entry.message;
    if (!this.all && !isPersistent(message)) return;
    let size = RECORD_OVERHEAD + message.body.byteLength + message.messageId.length + entry.queue.length;
    for (const [name, value] of message.headers) size += name.length + value.length + 16;
    const { counts, options } = this.db;
    if (counts.queued + size > options.maxBytes) {
      return Promise.reject(new StompError('STOMP_ERR_STORE_FULL', `The durable store is full: persistent queue messages take ${counts.queued} of store.sqlite.maxBytes (${options.maxBytes}) bytes`));
    }
    this.kept.set(entry.id, size);
    counts.queued += size;
    const expiresAt = Number.isFinite(entry.expiresAt) ? entry.expiresAt : null;
    const deliveries = entry.deliveries;
    return this.db.write(() => {
      this.sql.insert.run(entry.id, entry.queue, entry.destination, entry.user ?? null, message.messageId, message.contentType ?? null, encodeHeaders(message.headers), message.body, message.binary ? 0 : 1, expiresAt, deliveries, size);
    });
  }

  delivered(entry: QueueEntry): void {
    if (!this.kept.has(entry.id)) return;
    const deliveries = entry.deliveries;
    void this.db.write(() => void this.sql.mark.run(deliveries, 1, entry.id));
  }

  requeued(entry: QueueEntry): void {
    if (!this.kept.has(entry.id)) return;
    const deliveries = entry.deliveries;
    void this.db.write(() => void this.sql.mark.run(deliveries, 0, entry.id));
  }

  remove(entry: QueueEntry, reason: RemoveReason): void | Promise<void> {
    const size = this.kept.get(entry.id);
    if (size === undefined) return;
    this.kept.delete(entry.id);
    const done = this.db.write(() => {
      this.sql.remove.run(entry.id);
      this.db.counts.queued -= size;
    });
    return reason === 'acked' ? done : undefined;
  }

  stats(): QueueStoreStats {
    return { messages: this.kept.size, bytes: this.db.fileBytes() };
  }

  close(): void {
    // Both the queue engine and the server close it: the first close counts.
    if (this.closed) return;
    this.closed = true;
    this.db.release();
  }

  settle(): void {}

  /** Loads which entries the file keeps (at start, and after a transaction rolled back). */
  reload(): void {
    const rows = this.db.handle.prepare('SELECT id, size FROM queued').all() as { id: number; size: number }[];
    this.kept = new Map(rows.map((r) => [r.id, r.size]));
    this.db.counts.queued = rows.reduce((n, r) => n + r.size, 0);
  }
}
