/**
 * STOMP 1.2 §Heart-beating, once for every side that speaks it: the `heart-beat` header's
 * grammar and the negotiation. The broker's sessions (session/commands.ts) and the relay's
 * connection to an external broker (cluster/relay-connection.ts) both use these, with a
 * {@link Clock} that tests can replace.
 */

/** `[cx, cy]`: the smallest interval one side can send at, and the one it wants to receive at, ms; 0: none. */
export type HeartBeat = readonly [send: number, receive: number];

/** What negotiation gives one side: how often it must write, and how often the other must, ms; 0: never. */
export interface HeartBeatIntervals {
  readonly send: number;
  readonly receive: number;
}

/** Each number at most 9 digits (well past any sane interval), blanks around them allowed. */
const HEART_BEAT = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/;

/** Parses a `heart-beat` header; an absent one is `[0, 0]`, a malformed one undefined. */
export function parseHeartBeat(value: string | undefined): HeartBeat | undefined {
  if (value === undefined) return [0, 0];
  const m = HEART_BEAT.exec(value);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

/**
 * STOMP 1.2: each direction runs at the larger of what the writer can do and the reader wants,
 * and not at all when either says 0. `own` is this side's header, `peer` the other's.
 */
export function negotiateHeartBeat(own: HeartBeat, peer: HeartBeat): HeartBeatIntervals {
  return {
    send: own[0] === 0 || peer[1] === 0 ? 0 : Math.max(own[0], peer[1]),
    receive: own[1] === 0 || peer[0] === 0 ? 0 : Math.max(own[1], peer[0]),
  };
}

/** Time and repeating timers, injectable so heart-beat code is tested without waiting. */
export interface Clock {
  now(): number;
  /** Calls `fn` every `ms` until the returned function is called; never keeps the process alive. */
  every(ms: number, fn: () => void): () => void;
}

/** The real clock: `Date.now` and unref'd intervals. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms) as unknown as { unref?(): void };
    timer.unref?.();
    return () => clearInterval(timer as unknown as Parameters<typeof clearInterval>[0]);
  },
};
