import type { BrokerMessage } from './broker-message';
import type { MessageBroker, SessionId, Subscriber, Subscription } from './message-broker';
import { SubscriptionRegistry } from './subscription-registry';

/**
 * The in-memory broker (Spring's SimpleBrokerMessageHandler), and the base of cluster
 * brokers: they override the public methods and call `deliverLocal()` /
 * `deliverLocalToUser()` when a message reaches this node.
 */
export class SimpleBroker implements MessageBroker {
  /** Broadcast subscriptions of this node. */
  protected readonly registry = new SubscriptionRegistry();
  /** Sessions of this node by user, for user destinations. */
  protected readonly userSessions = new Map<string, Set<SessionId>>();
  /** Principal-based subscriptions of this node: user → destination → subscriptions. */
  protected readonly userSubscriptions = new Map<string, Map<string, Set<Subscription>>>();
  /** Every subscription of this node by session, so a session's end removes them all. */
  private readonly bySession = new Map<SessionId, Set<Subscription>>();

  subscribe(subscription: Subscription): Promise<void> | void {
    this.addLocal(subscription);
  }

  unsubscribe(subscription: Subscription): Promise<void> | void {
    this.removeLocal(subscription);
  }

  publish(message: BrokerMessage): Promise<void> | void {
    this.deliverLocal(message);
  }

  publishToUser(user: string, message: BrokerMessage): Promise<void> | void {
    this.deliverLocalToUser(user, message);
  }

  addSession(subscriber: Subscriber): Promise<void> | void {
    this.addLocalSession(subscriber);
  }

  removeSession(subscriber: Subscriber): Promise<void> | void {
    this.removeLocalSession(subscriber);
  }

  userSessionCount(user: string): Promise<number> | number {
    return this.userSessions.get(user)?.size ?? 0;
  }

  close(): Promise<void> | void {
    // Nothing to release: everything lives in this process.
  }

  /** Counts of what this node holds. */
  localStats(): { subscriptions: number; destinations: number; users: number } {
    let destinations = 0;
    for (const _ of this.registry.destinations()) destinations++;
    return { subscriptions: this.registry.size + this.countUserSubscriptions(), destinations, users: this.userSessions.size };
  }

  /** Delivers to this node's broadcast subscriptions; returns how many deliveries were made. */
  deliverLocal(message: BrokerMessage): number {
    let count = 0;
    // A selector filters among the subscriptions the destination matched, never more (SPEC §6.2).
    this.registry.forEachMatch(message.destination, (sub) => {
      if (sub.selector !== undefined && !sub.selector.matches(message)) return;
      count++;
      sub.subscriber.deliver(sub, message);
    });
    return count;
  }

  /** Delivers to this node's principal-based subscriptions of `user` at `message.destination`. */
  deliverLocalToUser(user: string, message: BrokerMessage): number {
    const subs = this.userSubscriptions.get(user)?.get(message.destination);
    if (subs === undefined) return 0;
    let count = 0;
    for (const sub of subs) {
      if (sub.selector !== undefined && !sub.selector.matches(message)) continue;
      count++;
      sub.subscriber.deliver(sub, message);
    }
    return count;
  }

  /** True when this node has a broadcast subscription matching `destination`. */
  hasLocalSubscribers(destination: string): boolean {
    return this.registry.hasMatch(destination);
  }

  /** Records a subscription on this node; true when it is the first at its destination. */
  protected addLocal(subscription: Subscription): boolean {
    let own = this.bySession.get(subscription.subscriber.sessionId);
    if (own === undefined) this.bySession.set(subscription.subscriber.sessionId, (own = new Set()));
    own.add(subscription);
    if (subscription.user === undefined) {
      this.registry.add(subscription);
      return true;
    }
    let byDest = this.userSubscriptions.get(subscription.user);
    if (byDest === undefined) this.userSubscriptions.set(subscription.user, (byDest = new Map()));
    let subs = byDest.get(subscription.destination);
    if (subs === undefined) byDest.set(subscription.destination, (subs = new Set()));
    subs.add(subscription);
    return true;
  }

  /** Forgets a subscription on this node; true when it was held. */
  protected removeLocal(subscription: Subscription): boolean {
    const own = this.bySession.get(subscription.subscriber.sessionId);
    if (own === undefined || !own.delete(subscription)) return false;
    if (own.size === 0) this.bySession.delete(subscription.subscriber.sessionId);
    if (subscription.user === undefined) return this.registry.remove(subscription);
    const byDest = this.userSubscriptions.get(subscription.user);
    const subs = byDest?.get(subscription.destination);
    if (byDest === undefined || subs === undefined) return false;
    subs.delete(subscription);
    if (subs.size === 0) byDest.delete(subscription.destination);
    if (byDest.size === 0) this.userSubscriptions.delete(subscription.user);
    return true;
  }

  protected addLocalSession(subscriber: Subscriber): void {
    if (subscriber.user === undefined) return;
    let ids = this.userSessions.get(subscriber.user);
    if (ids === undefined) this.userSessions.set(subscriber.user, (ids = new Set()));
    ids.add(subscriber.sessionId);
  }

  /** Forgets a session and every subscription it held; returns those subscriptions. */
  protected removeLocalSession(subscriber: Subscriber): Subscription[] {
    const own = [...(this.bySession.get(subscriber.sessionId) ?? [])];
    for (const sub of own) this.removeLocal(sub);
    if (subscriber.user !== undefined) {
      const ids = this.userSessions.get(subscriber.user);
      ids?.delete(subscriber.sessionId);
      if (ids?.size === 0) this.userSessions.delete(subscriber.user);
    }
    return own;
  }

  private countUserSubscriptions(): number {
    let n = 0;
    for (const byDest of this.userSubscriptions.values()) for (const subs of byDest.values()) n += subs.size;
    return n;
  }
}
