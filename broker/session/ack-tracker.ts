import type { Subscription } from '../messaging/message-broker';
import { ACK_ID_BYTES, randomId } from '../security/random-id';

interface Pending {
  readonly subscription: Subscription;
  readonly messageId: string;
}

/** What one ACK or NACK settled: its subscription and the message ids, in delivery order. */
export interface Settled {
  subscription: Subscription | undefined;
  readonly messageIds: string[];
}

/**
 * MESSAGEs delivered to client-ack subscriptions and not yet acknowledged (STOMP 1.2 §ACK).
 * Keys are the `ack` header values on 1.2 and `subscription` + `message-id` on 1.0/1.1. In
 * `client` mode an ACK or NACK settles every earlier pending message of its subscription too;
 * in `client-individual` mode only itself. The tracker is bounded: past `max` pending entries
 * the oldest is forgotten, so a client that never acks cannot grow memory without limit.
 */
export class AckTracker {
  // Created on first use: most sessions never use a client ack mode.
  private pendingMap: Map<string, Pending> | undefined;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.pendingMap?.size ?? 0;
  }

  private get pending(): Map<string, Pending> {
    return (this.pendingMap ??= new Map());
  }

  /** Records a delivery; returns the key the client acknowledges it by on 1.2. */
  track(subscription: Subscription, messageId: string, v12: boolean): string {
    // 1.2: a random id (not a counter), so one ack id tells nothing about the next or another session's.
    const key = v12 ? randomId(ACK_ID_BYTES) : legacyKey(subscription.id, messageId);
    this.pending.set(key, { subscription, messageId });
    if (this.pending.size > this.max) this.pending.delete(this.pending.keys().next().value as string);
    return key;
  }

  /**
   * Settles the pending message named by an ACK/NACK; returns how many messages it settled
   * (0: unknown id).
   * @param subscriptionId 1.0/1.1 only; a 1.0 client may omit it
   * @param out when given, receives the subscription and the settled messages' ids (for the broker's `ack`/`nack`)
   */
  settle(id: string, v12: boolean, subscriptionId: string | undefined, out?: Settled): number {
    const key = v12 ? id : this.findLegacy(id, subscriptionId);
    const entry = key === undefined ? undefined : this.pending.get(key);
    if (key === undefined || entry === undefined) return 0;
    if (out !== undefined) out.subscription = entry.subscription;
    if (entry.subscription.ack !== 'client') {
      this.pending.delete(key);
      out?.messageIds.push(entry.messageId);
      return 1;
    }
    let settled = 0;
    for (const [k, p] of this.pending) {
      if (p.subscription !== entry.subscription) continue;
      this.pending.delete(k);
      out?.messageIds.push(p.messageId);
      settled++;
      if (k === key) break;
    }
    return settled;
  }

  /** Forgets what a subscription had pending (UNSUBSCRIBE, disconnect). */
  forget(subscription: Subscription): void {
    for (const [k, p] of this.pending) if (p.subscription === subscription) this.pending.delete(k);
  }

  private findLegacy(messageId: string, subscriptionId: string | undefined): string | undefined {
    if (subscriptionId !== undefined) return legacyKey(subscriptionId, messageId);
    for (const [k, p] of this.pending) if (p.messageId === messageId) return k;
    return undefined;
  }
}

function legacyKey(subscriptionId: string, messageId: string): string {
  return `${subscriptionId}\u0000${messageId}`;
}
