import type { Frame } from '../stomp/frame';
import type { RelayConnection } from './relay-connection';

/** Ack ids of relayed MESSAGEs remembered per session, so ACK/NACK reach the broker that issued them. */
export const MAX_ACK_IDS = 65536;

/** One client session's side of the relay: its connection to the external broker and what it holds there. */
export interface RelayedSession {
  readonly conn: RelayConnection;
  /** Subscription ids this session holds at the external broker. */
  readonly subs: Set<string>;
  /** `ack` values of MESSAGEs awaiting ACK/NACK (STOMP 1.2). */
  readonly acks: Set<string>;
  closing: boolean;
  /** Frames held while the link is overdue (at most one: the session waits for it before its next frame). */
  held: number;
}

/** True when `destination` belongs to the external broker. */
export type RelayDestinationTest = (destination: string | undefined) => boolean;

type Forwarder = (isRelayed: RelayDestinationTest, entry: RelayedSession, frame: Frame) => boolean;

/** Which client frames go to the external broker; every entry returns true when it took the frame. */
export const FORWARDERS: Partial<Record<string, Forwarder>> = {
  // STOMP 1.2 §SEND and §SUBSCRIBE: by destination prefix.
  SEND: (isRelayed, _e, frame) => isRelayed(frame.headers.get('destination')),
  SUBSCRIBE: (isRelayed, entry, frame) => {
    if (!isRelayed(frame.headers.get('destination'))) return false;
    const id = frame.headers.get('id');
    if (id !== undefined) entry.subs.add(id);
    return true;
  },
  // §UNSUBSCRIBE: subscriptions the external broker holds.
  UNSUBSCRIBE: (_r, entry, frame) => entry.subs.delete(frame.headers.get('id') ?? ''),
  // §ACK/§NACK: 1.2 names the ack id the external broker issued; 1.1 the subscription.
  ACK: (_r, entry, frame) => settles(entry, frame),
  NACK: (_r, entry, frame) => settles(entry, frame),
  // §BEGIN/§COMMIT/§ABORT: with a relay, transactions are the external broker's.
  BEGIN: () => true,
  COMMIT: () => true,
  ABORT: () => true,
};

function settles(entry: RelayedSession, frame: Frame): boolean {
  const id = frame.headers.get('id');
  if (id !== undefined && entry.acks.delete(id)) return true;
  return entry.subs.has(frame.headers.get('subscription') ?? '');
}
