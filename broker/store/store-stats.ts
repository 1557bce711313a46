/** The durable store as `stats().store` and `/metrics` report it (docs/store.md#metrics). */
export interface StoreFileStats {
  /** `'memory'`: nothing survives a restart; `'sqlite'`: the `store` option's file. */
  readonly kind: 'memory' | 'sqlite';
  /** The database file; undefined for memory. */
  readonly file: string | undefined;
  /** Bytes of the file and its WAL on disk (0 for memory). */
  readonly fileBytes: number;
  /** Bytes of stored messages counted against `maxBytes`: retained history and persistent queue messages. */
  readonly bytes: number;
  /** `store.sqlite.maxBytes` (0 for memory). */
  readonly maxBytes: number;
  /** Write transactions committed since start (one per event-loop turn with writes). */
  readonly commits: number;
}

export const MEMORY_STORE: StoreFileStats = Object.freeze({ kind: 'memory', file: undefined, fileBytes: 0, bytes: 0, maxBytes: 0, commits: 0 });
