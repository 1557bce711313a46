import type { BrokerMessage } from '../messaging/broker-message';
import type { MessageBroker, Subscriber, Subscription } from '../messaging/message-broker';
import type { Appended, HistoryHead, HistoryKey, HistoryRead, MessageStore, Offset, ReadFrom, RetentionLimits, StoreStats } from './message-store';
import { userHistoryKey } from './message-store';
import type { RetentionRules } from './retention-rules';
import type { StreamPosition } from './stream-position';
import { OffsetWindow } from '../stomp/offset-window';
import { andThen, isPromiseLike } from '../value-or-promise';

/** Where a publish to a retained destination landed (what HTTP publish answers with). */
export interface PublishReceipt {
  readonly offset: Offset;
  readonly epoch: string;
}

/** A SUBSCRIBE with history, once registered: the subscription the session keeps, and `x-stream-recovered`. */
export interface HistorySubscribed {
  readonly subscription: Subscription;
  readonly recovered: boolean;
}

const NO_HISTORY: HistoryHead = Object.freeze({ epoch: '', first: 0, next: 0, lastDroppedAt: Number.NEGATIVE_INFINITY });

/**
 * Retention and resume (SPEC §6.1), between sessions and the broker: a publish to a destination
 * a rule retains is appended to its history first (taking the next offset) and goes out
 * stamped with `x-stream-offset` and `x-stream-epoch`; a SUBSCRIBE with `x-stream-offset`
 * gets the history it asked for, then live messages, with nothing missing or repeated at the
 * switch. The server exposes it as `server.retention`; SSE resume and HTTP publish use it too.
 */
export class Retention {
  constructor(
    readonly rules: RetentionRules,
    readonly store: MessageStore,
  ) {}

  /** The limits retaining `destination`, or undefined. */
  limitsFor(destination: string): RetentionLimits | undefined {
    return this.rules.active ? this.rules.limitsFor(destination) : undefined;
  }

  /** Appends a message to its history when a rule retains it: the stamped message, or the message itself. */
  retain(key: HistoryKey, message: BrokerMessage): Appended | undefined | Promise<Appended> {
    const limits = this.limitsFor(message.destination);
    return limits === undefined ? undefined : this.store.append(key, message, limits);
  }

  /** Reads a broadcast destination's history from an offset or a time on (SSE `Last-Event-ID`); empty when nothing retains it. */
  read(destination: string, from: ReadFrom, limit?: number): HistoryRead | Promise<HistoryRead> {
    return this.readKey(destination, destination, from, limit);
  }

  /** The current epoch of a broadcast destination's history; undefined when it has none yet. */
  epoch(destination: string): string | undefined | Promise<string | undefined> {
    const head = this.store.head(destination);
    return andThen(head, (h) => h?.epoch);
  }

  stats(): StoreStats {
    return this.store.stats();
  }

  /** A broker that retains what it publishes (the rest passes through). */
  wrap(broker: MessageBroker): RetainingBroker {
    return new RetainingBroker(broker, this);
  }

  /**
   * Registers `sub` with `broker` and queues the history `position` asks for ahead of any live
   * message: resolved (with `x-stream-recovered`) once the replay is queued on the session.
   */
  subscribe(broker: MessageBroker, sub: Subscription, position: StreamPosition): HistorySubscribed | Promise<HistorySubscribed> {
    const key = sub.user === undefined ? sub.destination : userHistoryKey(sub.user, sub.destination);
    const limits = this.limitsFor(sub.destination);
    if (limits === undefined) {
      // No rule: no history. Nothing to replay; only next, first and last without an epoch are served in full.
      const done = broker.subscribe(sub);
      const recovered = position.epoch === undefined && (position.kind === 'next' || position.kind === 'first' || position.kind === 'last');
      return done === undefined ? { subscription: sub, recovered } : done.then(() => ({ subscription: sub, recovered }));
    }
    const head = this.store.head(key);
    if (isPromiseLike(head)) return head.then((h) => this.subscribeAsync(broker, sub, key, limits, position, h));
    const plan = planReplay(position, head ?? NO_HISTORY);
    const gate = new ReplayGate(sub);
    const done = broker.subscribe(gate.subscription);
    // In-memory store and broker: read, replay and register in one turn, so no publish falls between.
    if (done === undefined && plan.from !== undefined) {
      const read = this.store.read(key, plan.from, limits, plan.limit);
      if (!isPromiseLike(read)) {
        gate.replay(read);
        return { subscription: gate.subscription, recovered: plan.recovered };
      }
      return read.then((r) => (gate.replay(r), { subscription: gate.subscription, recovered: plan.recovered }));
    }
    if (plan.from === undefined) {
      gate.open(head?.next ?? 0, head?.epoch);
      return done === undefined ? { subscription: gate.subscription, recovered: plan.recovered } : done.then(() => ({ subscription: gate.subscription, recovered: plan.recovered }));
    }
    return done!.then(() => this.replayAfter(gate, key, limits, plan));
  }

  private async subscribeAsync(broker: MessageBroker, sub: Subscription, key: HistoryKey, limits: RetentionLimits, position: StreamPosition, head: HistoryHead | undefined): Promise<HistorySubscribed> {
    const plan = planReplay(position, head ?? NO_HISTORY);
    const gate = new ReplayGate(sub);
    await broker.subscribe(gate.subscription);
    if (plan.from === undefined) {
      gate.open(head?.next ?? 0, head?.epoch);
      return { subscription: gate.subscription, recovered: plan.recovered };
    }
    return this.replayAfter(gate, key, limits, plan);
  }

  /** An asynchronous broker or store: the subscription is live (its messages held by the gate) before the history is read. */
  private async replayAfter(gate: ReplayGate, key: HistoryKey, limits: RetentionLimits, plan: ReplayPlan): Promise<HistorySubscribed> {
    gate.replay(await this.store.read(key, plan.from!, limits, plan.limit));
    return { subscription: gate.subscription, recovered: plan.recovered };
  }

  private readKey(key: HistoryKey, destination: string, from: ReadFrom, limit?: number): HistoryRead | Promise<HistoryRead> {
    const limits = this.limitsFor(destination);
    if (limits === undefined) return { ...NO_HISTORY, messages: [] };
    return this.store.read(key, from, limits, limit);
  }
}

interface ReplayPlan {
  /** Where the replay starts; undefined: none (live only). */
  readonly from: ReadFrom | undefined;
  readonly limit?: number;
  readonly recovered: boolean;
}

/** SPEC §6.1: what a position replays, and whether it can be served in full. Not served: delivery starts at the oldest retained. */
export function planReplay(position: StreamPosition, head: HistoryHead): ReplayPlan {
  const oldest: ReplayPlan = { from: { offset: head.first }, recovered: false };
  if (position.epoch !== undefined && position.epoch !== head.epoch) return oldest;
  switch (position.kind) {
    case 'next':
      return { from: undefined, recovered: true };
    case 'first':
      return { from: { offset: head.first }, recovered: true };
    case 'last':
      return { from: { offset: Math.max(head.first, head.next - 1) }, limit: 1, recovered: true };
    case 'offset':
      return position.offset >= head.first && position.offset <= head.next ? { from: { offset: position.offset }, recovered: true } : oldest;
    case 'timestamp': {
      const ms = position.seconds * 1000;
      return head.lastDroppedAt < ms ? { from: { timestamp: ms }, recovered: true } : oldest;
    }
  }
}

/**
 * The switch from replay to live for one subscription. Its subscriber stands in for the
 * session while the history is read: live messages that arrive meanwhile wait (in order),
 * and once the replay is queued only messages past its last offset go through, so the switch
 * has no gap and no duplicate whether the broker and store answer at once or later. What
 * waits is bounded by the history's rule (the replay holds at most `messages` of it) and by
 * the session's send buffer rules once written.
 */
class ReplayGate implements Subscriber {
  readonly subscription: Subscription;
  private held: BrokerMessage[] | undefined = [];
  /** Offsets of `epoch` taken: those below its floor were replayed (or predate the subscription) and are dropped, unless skipped and late. */
  private window: OffsetWindow | undefined;
  private epoch: string | undefined;

  constructor(private readonly target: Subscription) {
    this.subscription = { id: target.id, destination: target.destination, ack: target.ack, user: target.user, subscriber: this, selector: target.selector, prefetch: target.prefetch };
  }

  get sessionId(): string {
    return this.target.subscriber.sessionId;
  }

  get user(): string | undefined {
    return this.target.subscriber.user;
  }

  /** The session behind the gate (for code that needs more than a Subscriber). */
  get session(): Subscriber {
    return this.target.subscriber;
  }

  deliver(_subscription: Subscription, message: BrokerMessage): void {
    if (this.held !== undefined) {
      this.held.push(message);
      return;
    }
    // Only offsets of the history replayed are compared: a message of another epoch (another
    // node's in-memory history) is never taken for a duplicate.
    const offset = streamOffset(message);
    if (offset !== undefined && streamEpoch(message) === this.epoch && !this.window!.take(offset)) return;
    this.target.subscriber.deliver(this.subscription, message);
  }

  /** Writes the history read, then what arrived live meanwhile past it. */
  replay(read: HistoryRead): void {
    const subscriber = this.target.subscriber;
    for (const r of read.messages) subscriber.deliver(this.subscription, r.message);
    const last = read.messages.length === 0 ? undefined : read.messages[read.messages.length - 1].offset;
    this.open(last === undefined ? read.next : last + 1, read.epoch);
  }

  /** Lets live messages through from `floor` of `epoch` on, starting with those held. */
  open(floor: Offset, epoch: string | undefined): void {
    this.window = new OffsetWindow(floor);
    this.epoch = epoch;
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of held) this.deliver(this.subscription, m);
  }
}

/** The `x-stream-epoch` of a stamped message: the last header the store adds. */
function streamEpoch(message: BrokerMessage): string | undefined {
  const pair = message.headers[message.headers.length - 1];
  return pair !== undefined && pair[0] === 'x-stream-epoch' ? pair[1] : undefined;
}

/** The `x-stream-offset` of a stamped message: it is the next-to-last header the store adds. */
function streamOffset(message: BrokerMessage): number | undefined {
  const h = message.headers;
  const pair = h[h.length - 2];
  return pair !== undefined && pair[0] === 'x-stream-offset' ? Number(pair[1]) : undefined;
}

/**
 * The broker as publishers see it: a publish to a retained destination is appended to its
 * history, then published stamped; principal-based user messages go to the user's own history.
 */
export class RetainingBroker implements MessageBroker {
  constructor(
    readonly inner: MessageBroker,
    private readonly retention: Retention,
  ) {}

  subscribe(subscription: Subscription): Promise<void> | void {
    return this.inner.subscribe(subscription);
  }

  unsubscribe(subscription: Subscription): Promise<void> | void {
    return this.inner.unsubscribe(subscription);
  }

  publish(message: BrokerMessage): Promise<void> | void {
    const appended = this.retention.retain(message.destination, message);
    if (appended === undefined) return this.inner.publish(message);
    return andThen(appended, (a) => this.inner.publish(a.message));
  }

  /** Publishes and tells where the message landed: its offset and epoch, or undefined when no rule retains its destination. */
  publishRetained(message: BrokerMessage): Promise<PublishReceipt | undefined> {
    const appended = this.retention.retain(message.destination, message);
    if (appended === undefined) return Promise.resolve(this.inner.publish(message)).then(() => undefined);
    return Promise.resolve(appended).then(async (a) => {
      await this.inner.publish(a.message);
      return { offset: a.offset, epoch: a.epoch };
    });
  }

  publishToUser(user: string, message: BrokerMessage): Promise<void> | void {
    const appended = this.retention.retain(userHistoryKey(user, message.destination), message);
    if (appended === undefined) return this.inner.publishToUser(user, message);
    return andThen(appended, (a) => this.inner.publishToUser(user, a.message));
  }

  addSession(subscriber: Subscriber): Promise<void> | void {
    return this.inner.addSession(subscriber);
  }

  removeSession(subscriber: Subscriber): Promise<void> | void {
    return this.inner.removeSession(subscriber);
  }

  userSessionCount(user: string): Promise<number> | number {
    return this.inner.userSessionCount(user);
  }

  close(): Promise<void> | void {
    return this.inner.close();
  }
}
