import { statSync } from 'node:fs';
import { StompError } from '../errors';
import type { Logger } from '../logger';
import type { ResolvedSqliteOptions } from './store-options';
import type { StoreFileStats } from './store-stats';

/** The part of a better-sqlite3 statement the stores use (declared here: `better-sqlite3` stays an optional peer dependency). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The part of a better-sqlite3 database the stores use. */
export interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  close(): void;
}

/** A part of the file (the retained history, the queues): it runs last in every transaction, and says how many bytes it counts. */
export interface StorePart {
  /** Runs inside each write transaction after its operations: budgets, dirty rows. */
  settle(): void;
  /** Rebuilds what the part keeps in memory from the file, after a transaction rolled back. */
  reload(): void;
}

/** What the byte bound counts, shared by the parts of one file. */
export interface ByteCounts {
  retained: number;
  queued: number;
}

const PEER = 'better-sqlite3';

/**
 * One SQLite file behind the durable store (docs/store.md), opened with better-sqlite3:
 * WAL journal, exclusive locking (one broker per file), and one write transaction per
 * event-loop turn. Stores queue their writes with {@link write}; the first write of a turn
 * schedules a flush on `setImmediate`, after the turn's I/O callbacks, so a burst of SENDs read
 * in one turn commits together and every promise of that burst resolves after its COMMIT.
 */
export class SqliteDatabase {
  readonly counts: ByteCounts = { retained: 0, queued: 0 };
  private ops: (() => void)[] = [];
  private batch: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  private readonly parts: StorePart[] = [];
  private readonly run: () => void;
  private users = 0;
  private closed = false;
  /** Transactions committed since start (each a turn's writes). */
  commits = 0;

  private constructor(
    readonly handle: SqliteHandle,
    readonly options: ResolvedSqliteOptions,
    private readonly logger: Logger,
  ) {
    this.run = handle.transaction(() => {
      const ops = this.ops;
      this.ops = [];
      for (const op of ops) op();
      for (const part of this.parts) part.settle();
    });
  }

  /**
   * Opens (creating when absent) and checks the file: a file that is not a database, fails
   * SQLite's quick check, is locked by another process or cannot be written is refused here,
   * at startup, rather than at the first SEND.
   * @throws StompError `STOMP_ERR_INVALID_OPTION` when better-sqlite3 is not installed; `STOMP_ERR_STORE_UNAVAILABLE` naming the file and the reason
   */
  static open(options: ResolvedSqliteOptions, logger: Logger): SqliteDatabase {
    let Database: new (file: string, opts?: object) => SqliteHandle;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Database = require(PEER) as new (file: string, opts?: object) => SqliteHandle;
    } catch (err) {
      const detail = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'it is not installed' : (err as Error).message;
      throw new StompError('STOMP_ERR_INVALID_OPTION', `Option "store.sqlite" needs the "${PEER}" package, version 12 (an optional peer dependency; ${detail}): npm install ${PEER}@12`);
    }
    const { file } = options;
    let handle: SqliteHandle | undefined;
    try {
      handle = new Database(file, { timeout: 0 });
      handle.pragma('locking_mode = EXCLUSIVE');
      const mode = handle.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`the journal mode stays "${String(mode)}", not WAL`);
      const check = handle.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`SQLite's quick check failed: ${String(check)}`);
      handle.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      handle.pragma('journal_size_limit = 4194304');
      const pageSize = handle.pragma('page_size', { simple: true }) as number;
      // The hard cap: SQLite refuses to grow the file past it (SQLITE_FULL), whatever the counts say.
      handle.pragma(`max_page_count = ${Math.ceil(hardCap(options.maxBytes) / pageSize)}`);
      // The first write takes the exclusive lock (and proves the file writable) now.
      handle.exec('BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS stompbox_meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID; COMMIT');
    } catch (err) {
      try {
        handle?.close();
      } catch {
        /* already failed */
      }
      throw new StompError('STOMP_ERR_STORE_UNAVAILABLE', `The store file "${file}" cannot be used: ${describe(err)}`);
    }
    return new SqliteDatabase(handle, options, logger);
  }

  /** Adds a part (a store on this file); the file closes when every part has closed. */
  attach(part: StorePart): void {
    this.parts.push(part);
    this.users++;
  }

  /** Queues a write for this turn's transaction: the promise resolves once it is committed. */
  write(op: () => void): Promise<void> {
    if (this.closed) {
      // Handled here too: a mark nobody awaits (a requeue at shutdown) must not be an unhandled rejection.
      const refused = Promise.reject(new StompError('STOMP_ERR_SERVER_SHUTDOWN', 'The store is closed'));
      refused.catch(() => undefined);
      return refused;
    }
    this.ops.push(op);
    if (this.batch === undefined) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      // A write nobody awaits (a delivered mark) must not be an unhandled rejection: the flush logs it.
      promise.catch(() => undefined);
      this.batch = { promise, resolve, reject };
      this.scheduled = setImmediate(() => this.flush());
    }
    return this.batch.promise;
  }

  /** Runs `fn` in a transaction of its own now, after committing what is queued. */
  now<T>(fn: () => T): T {
    this.flush();
    return this.handle.transaction(fn)();
  }

  /** Commits the queued writes now (reads call it first, so they see every write made before them). */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.batch;
    this.batch = undefined;
    if (batch === undefined) return;
    try {
      this.run();
      this.commits++;
      batch.resolve();
    } catch (err) {
      this.ops = [];
      const code = (err as { code?: string }).code;
      this.logger.error({ file: this.options.file, err: describe(err) }, 'store: a write transaction rolled back');
      for (const part of this.parts) part.reload();
      batch.reject(
        code === 'SQLITE_FULL'
          ? new StompError('STOMP_ERR_STORE_FULL', `The store file reached its size limit (store.sqlite.maxBytes ${this.options.maxBytes})`)
          : new StompError('STOMP_ERR_INTERNAL', 'The store could not commit a write'),
      );
    }
  }

  stats(): StoreFileStats {
    const { file, maxBytes } = this.options;
    return { kind: 'sqlite', file, fileBytes: this.fileBytes(), bytes: this.counts.retained + this.counts.queued, maxBytes, commits: this.commits };
  }

  /** Bytes of the file and its WAL on disk. */
  fileBytes(): number {
    let bytes = 0;
    for (const path of [this.options.file, `${this.options.file}-wal`]) {
      try {
        bytes += statSync(path).size;
      } catch {
        /* absent */
      }
    }
    return bytes;
  }

  /** Called by each part's close(): the last one commits what is queued and closes the file. */
  release(): void {
    if (--this.users > 0 || this.closed) return;
    this.flush();
    this.closed = true;
    this.handle.close();
  }
}

/** The file's hard size cap for a `maxBytes` bound: twice the counted bytes (SQLite's page slack and indexes) plus 16 MiB. */
export function hardCap(maxBytes: number): number {
  return maxBytes * 2 + 16 * 1024 * 1024;
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  return code === undefined ? message : `${message} (${code})`;
}
