import type { BrokerMessage, HeaderPair } from '../messaging/broker-message';

/** A position in one destination's history: consecutive per destination, from 0. */
export type Offset = number;

/**
 * Names one history. For a broadcast destination it is the destination itself; for a
 * principal-based user destination (`/user/queue/x` of user `u`) it is a key no client can
 * write as a destination (see {@link userHistoryKey}), so one user's history is never read
 * through another's subscription or a guessed name.
 */
export type HistoryKey = string;

/** What a rule keeps of one destination (broker/retention/retention-rules.ts). */
export interface RetentionLimits {
  /** The newest `messages` are kept. */
  readonly messages: number;
  /** Messages older than this many milliseconds are dropped; `Infinity`: no age limit. */
  readonly maxAge: number;
}

/** Where a read of a history starts. */
export type ReadFrom = { readonly offset: Offset } | { readonly timestamp: number };

/** One retained message as a read returns it: a MESSAGE-to-be carrying `x-stream-offset` and `x-stream-epoch`. */
export interface RetainedMessage {
  readonly offset: Offset;
  /** When it was appended, epoch milliseconds. */
  readonly timestamp: number;
  readonly message: BrokerMessage;
}

/** The state of one history. */
export interface HistoryHead {
  /** Changes whenever this history was lost (a restart of an in-memory store, a forgotten history). */
  readonly epoch: string;
  /** Offset of the oldest retained message (equal to `next` when none is retained). */
  readonly first: Offset;
  /** Offset the next append takes. */
  readonly next: Offset;
  /** Timestamp of the newest message dropped from this history so far; `-Infinity` when none was. */
  readonly lastDroppedAt: number;
}

/** A read: the head at the time of the read and the messages from the requested position on, in offset order. */
export interface HistoryRead extends HistoryHead {
  readonly messages: readonly RetainedMessage[];
}

/** What an append assigned. */
export interface Appended {
  readonly offset: Offset;
  readonly epoch: string;
  /** The message as subscribers get it: the appended one with `x-stream-offset` and `x-stream-epoch`. */
  readonly message: BrokerMessage;
}

/** Counts of a store, for `stats()` and `/metrics`. */
export interface StoreStats {
  /** Histories held (each with at least one message, or recently emptied). */
  readonly destinations: number;
  readonly messages: number;
  /** Bytes counted against the budget (bodies, headers and a fixed cost per message). */
  readonly bytes: number;
  /** The server-wide budget (`retentionBytes`). */
  readonly budget: number;
  /** Messages dropped since start, by why: past a rule's count, its age, or the byte budget. */
  readonly dropped: { readonly count: number; readonly age: number; readonly bytes: number };
  /** A cluster store only: this node's catch-up from the Redis streams (docs/cluster.md#what-a-redis-outage-loses). */
  readonly cluster?: { readonly caughtUp: number; readonly lost: number; readonly failed: number; readonly ruleConflicts: number };
}

/**
 * The store seam, beside the `MessageBroker` seam: every destination's history of retained
 * messages. The in-memory {@link MemoryMessageStore} is the default; a durable or shared store
 * (Redis streams, SQLite) implements the same interface. Every method may answer with a value
 * or a promise (socket.io's Adapter convention): callers handle both, and pay nothing extra for
 * the synchronous store.
 */
export interface MessageStore {
  /** Appends to `key`'s history under `limits` (trimming what they no longer keep): the assigned offset. */
  append(key: HistoryKey, message: BrokerMessage, limits: RetentionLimits): Appended | Promise<Appended>;
  /** Reads `key`'s history from a position on (at most `limit` messages), after dropping what `maxAge` no longer keeps. */
  read(key: HistoryKey, from: ReadFrom, limits: RetentionLimits, limit?: number): HistoryRead | Promise<HistoryRead>;
  /** The head of `key`'s history; undefined when the store holds none (a first append creates it with a new epoch). */
  head(key: HistoryKey): HistoryHead | undefined | Promise<HistoryHead | undefined>;
  /** Drops what `limits` no longer keep from `key`'s history: past the count, older than the age. */
  trim(key: HistoryKey, limits: RetentionLimits): void | Promise<void>;
  stats(): StoreStats;
  /**
   * True when an append takes its place in its history as it is called (the Redis store writes
   * its script to one connection at once), so a session may handle its next frames before the
   * append resolves; only the SEND's RECEIPT waits for it (session.ts `markOrdered`).
   */
  readonly ordered?: boolean;
  /** Releases timers and connections. */
  close(): void | Promise<void>;
}

/** A broker that brings its own store (the cluster's Redis streams): a server with retention rules and no `messageStore` takes it. */
export interface StoreProvider {
  /** `budget`: the server's `retentionBytes`, which the store applies to what every node retains together. */
  createMessageStore(budget?: number): MessageStore;
}

/**
 * The history key of a principal-based user destination: starts with NUL, which no destination
 * can (destinations start with `/`), and carries the user's length so that no pair of user and
 * destination can spell another pair's key.
 */
export function userHistoryKey(user: string, destination: string): HistoryKey {
  return `\0${user.length}:${user}${destination}`;
}

/**
 * The stream headers of the message at `offset` of a history of `epoch` (SPEC §6.1), in the
 * order every store adds them after the message's own: readers of a stamped message
 * (retention.ts) find them as its last two headers.
 */
export function streamHeaders(offset: Offset, epoch: string): HeaderPair[] {
  return [
    ['x-stream-offset', String(offset)],
    ['x-stream-epoch', epoch],
  ];
}
