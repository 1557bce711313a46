import { StompError } from '../errors';
import type { Counters } from '../operations/counters';
import { BrokerMessage, type HeaderPair } from '../messaging/broker-message';
import type { DestinationRouter } from '../messaging/destination-router';
import type { MessageBroker, Subscription } from '../messaging/message-broker';
import { isBrokerOwned } from '../messaging/message-converter';
import type { ResolvedOptions } from '../options';
import type { StompSession } from '../session/stomp-session';
import type { SubscriptionRequest } from '../session/session-host';
import type { Frame } from '../stomp/frame';
import type { Dispatcher } from './dispatcher';
import type { HandlerRegistry } from './handler-registry';
import { ReservedQueues } from './reserved-queues';
import { checkDestination } from '../destinations/segments';
import type { DestinationAuthorizer } from '../security/authorization';
import { RetainingBroker, type HistorySubscribed, type Retention } from '../retention/retention';
import { streamHeaders } from '../retention/message-store';
import { andThen } from '../value-or-promise';
import { isReceipting } from '../queues/queue-broker';

/**
 * Authorizes an inbound SEND or SUBSCRIBE (segment limits, then the `authorization` rules for
 * everything a pattern can match) and decides where it goes: a handler (application prefix,
 * or any mapped destination when there is none), a user (`/user/<name>/...`), or the broker
 * (broker prefixes). Anything else is refused. The server wires it; it keeps no state.
 */
export class FrameRouter {
  private userRoutingOrdered: boolean | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly router: DestinationRouter,
    private readonly handlers: HandlerRegistry,
    private readonly dispatcher: Dispatcher,
    private readonly broker: MessageBroker,
    private readonly counters: Counters,
    private readonly authorizer: DestinationAuthorizer | undefined,
    /** Retention and resume (SPEC §6.1); undefined when no rule retains anything. */
    private readonly retention?: Retention,
  ) {
    this.reserved = new ReservedQueues(router, broker, options.maxSubscriptionBytes);
  }

  private userDestinationsOwnOnly(): boolean {
    return this.authorizer?.userDestinationsOwnOnly === true;
  }

  /**
   * The checks every SEND or SUBSCRIBE passes, relayed ones too: the segment limits (README
   * "Destinations"), with or without rules, then the rules. @throws StompError `STOMP_ERR_FORBIDDEN`
   */
  authorize(session: StompSession, command: 'SEND' | 'SUBSCRIBE', destination: string): Promise<void> | void {
    checkDestination(command, destination);
    if (this.authorizer === undefined) return;
    return this.authorizer.check({ command, destination, user: session.user, principal: session.principal, sessionId: session.sessionId });
  }

  /** Per-session queues clients may not write to (reserved-queues.ts). */
  private readonly reserved: ReservedQueues;

  /** Authorizes and routes a SEND: to its handler, to a user, or to the broker (README "Destinations"). */
  send(session: StompSession, frame: Frame): Promise<void> | void {
    const checked = this.authorize(session, 'SEND', frame.headers.get('destination')!);
    return checked === undefined ? this.sendAuthorized(session, frame) : checked.then(() => this.sendAuthorized(session, frame));
  }

  private sendAuthorized(session: StompSession, frame: Frame): Promise<void> | void {
    // Reserved queues: a reply-to under the user prefix becomes this session's own queue first.
    const claimed = this.reserved.claimReplyTo(session, frame.headers.get('reply-to'));
    if (claimed !== undefined) return claimed.then(() => this.route(session, frame));
    return this.route(session, frame);
  }

  private route(session: StompSession, frame: Frame): Promise<void> | void {
    const destination = frame.headers.get('destination')!;
    const app = this.router.applicationDestination(destination);
    if (app !== undefined) {
      const match = this.handlers.match('message', app);
      if (match === undefined) throw new StompError('STOMP_ERR_NO_HANDLER', `No handler is mapped to "${app}" (SEND to "${destination}")`);
      return this.dispatcher.dispatchSend(session, frame, app, match);
    }
    if (this.options.applicationPrefixes.length === 0) {
      const match = this.handlers.match('message', destination);
      if (match !== undefined) return this.dispatcher.dispatchSend(session, frame, destination, match);
    }
    this.reserved.checkSend(destination);
    const user = this.router.userTarget(destination);
    if (user === undefined && !this.router.isBrokerDestination(destination)) {
      throw new StompError(
        'STOMP_ERR_INVALID_DESTINATION',
        `No handler maps "${destination}" and it is under no broker prefix (${this.options.brokerPrefixes.join(', ')})`,
      );
    }
    if (!this.options.allowClientSendToBroker) {
      throw new StompError('STOMP_ERR_FORBIDDEN', `Clients may not SEND to broker destination "${destination}" (allowClientSendToBroker is false)`);
    }
    const message = messageFromFrame(destination, frame, !session.binaryInput);
    this.counters.messagesPublished++;
    const effect = user === undefined ? (frame.headers.has('receipt') ? this.publishForReceipt(message) : this.broker.publish(message)) : this.publishToUser(user, message);
    // With the durable store a broker publish takes its place (offset, queue position) at once:
    // the session may go on with its next frames while the commit is pending (session.ts).
    // So with a store whose appends keep their order once called (Redis streams).
    if (effect !== undefined && (this.options.store !== 'memory' || this.orderedAppend(destination, user?.destination) || (user !== undefined && this.orderedUserRouting))) session.markOrdered();
    return effect as Promise<void> | void;
  }

  /** True when the engine under the publisher's wrappers routes user messages in publish order without being waited for (RedisBroker). */
  private get orderedUserRouting(): boolean {
    if (this.userRoutingOrdered === undefined) {
      let engine: MessageBroker & { inner?: MessageBroker; orderedUserRouting?: boolean } = this.broker;
      for (let i = 0; i < 8 && engine.inner !== undefined; i++) engine = engine.inner;
      this.userRoutingOrdered = engine.orderedUserRouting === true;
    }
    return this.userRoutingOrdered;
  }

  /** True when a retained SEND's append keeps its place once called (the Redis store), so the session need not wait for it. */
  private orderedAppend(destination: string, userDestination: string | undefined): boolean {
    const retention = this.retention;
    if (retention === undefined || retention.store.ordered !== true) return false;
    return retention.limitsFor(destination) !== undefined || (userDestination !== undefined && retention.limitsFor(userDestination) !== undefined);
  }

  private publishToUser(user: { user: string; destination: string }, message: BrokerMessage): Promise<void> | void {
    const toUser = this.broker.publishToUser(user.user, message.withDestination(user.destination));
    const literal = this.router.literalUserDestinations ? this.broker.publish(message) : undefined;
    if (toUser === undefined && literal === undefined) return;
    return Promise.all([toUser, literal]).then(() => undefined);
  }


  /**
   * Publishes a SEND that asked for a receipt: when a retention rule keeps its destination, the
   * RECEIPT says where the message landed (`x-stream-offset`, `x-stream-epoch`), which HTTP
   * publish answers as `{"offset": n}`.
   */
  private publishForReceipt(message: BrokerMessage): Promise<unknown> | void {
    if (!isReceipting(this.broker, message.destination)) return this.broker.publish(message);
    // Resolves with the RECEIPT's extra headers, which the session adds (session.ts).
    return this.broker.publishRetained(message).then((landed) =>
      landed === undefined ? undefined : streamHeaders(landed.offset, landed.epoch),
    );
  }

  /** Authorizes a SUBSCRIBE, builds and registers its subscription, running a subscribe handler if one maps it. */
  subscribe(session: StompSession, frame: Frame, request: SubscriptionRequest): Promise<Subscription> | Subscription {
    const checked = this.authorize(session, 'SUBSCRIBE', request.destination);
    return checked === undefined ? this.subscribeAuthorized(session, frame, request) : checked.then(() => this.subscribeAuthorized(session, frame, request));
  }

  private subscribeAuthorized(session: StompSession, frame: Frame, request: SubscriptionRequest): Promise<Subscription> | Subscription {
    const { destination } = request;
    const app = this.router.applicationDestination(destination);
    const mapped = app ?? (this.options.applicationPrefixes.length === 0 ? destination : undefined);
    const match = mapped === undefined ? undefined : this.handlers.match('subscribe', mapped);
    if (app !== undefined && match === undefined) {
      throw new StompError('STOMP_ERR_NO_HANDLER', `No subscribe handler is mapped to "${app}" (SUBSCRIBE to "${destination}")`);
    }
    let user: string | undefined;
    let toBroker = false;
    let sessionOnly = false;
    if (session.user === undefined && this.reserved.isSessionQueue(session, destination)) {
      // Reserved queues: an anonymous session's /user/queue/errors, /user/queue/reply and
      // claimed reply-to queues are its own, even with /user as a broker prefix.
      sessionOnly = true;
    } else if (this.router.isUserDestination(destination)) {
      // "Own" only when the name segment is the literal, encoded principal: never `*` or `{x}`.
      const own = session.user !== undefined && this.router.isOwnUserDestination(destination, session.user);
      if (session.user !== undefined && !own) {
        user = session.user; // principal-based: /user/queue/x of this user only
        toBroker = true;
      } else if (session.user === undefined && this.userDestinationsOwnOnly()) {
        throw new StompError('STOMP_ERR_FORBIDDEN', `SUBSCRIBE to "${destination}" is allowed only to the user it names (userDestinationsOwnOnly)`);
      } else if (this.router.literalUserDestinations) {
        toBroker = true;
      } else {
        // Anonymous: a session-only subscription (Spring resolves it by session id), reached by
        // what the server sends to this session (errors, replies), never through the broker.
        sessionOnly = true;
      }
    } else if (app === undefined && this.router.isBrokerDestination(destination)) {
      if (this.userDestinationsOwnOnly() && this.router.reachesUserDestinations(destination)) {
        // `/**` under a broker prefix `/` would read every user's literal destinations.
        throw new StompError('STOMP_ERR_FORBIDDEN', `SUBSCRIBE to "${destination}" could match other users' destinations (userDestinationsOwnOnly)`);
      }
      toBroker = true;
    }
    if (!toBroker && !sessionOnly && match === undefined) {
      throw new StompError(
        'STOMP_ERR_INVALID_DESTINATION',
        `No handler maps "${destination}" and it is under no broker prefix (${this.options.brokerPrefixes.join(', ')})`,
      );
    }
    const sub: Subscription = { id: request.id, destination, ack: request.ack, subscriber: session, user, selector: request.selector, prefetch: request.prefetch };
    const after = (kept: Subscription = sub): Promise<Subscription> | Subscription => {
      const handled = match === undefined ? undefined : this.dispatcher.dispatchSubscribe(session, frame, sub, mapped!, match);
      return handled === undefined ? kept : handled.then(() => kept);
    };
    if (toBroker && request.position !== undefined && this.retention !== undefined) return this.withHistory(sub, request, after);
    const subscribed = toBroker ? this.broker.subscribe(sub) : undefined;
    return subscribed === undefined ? after() : subscribed.then(() => after());
  }

  /** A broker subscription with `x-stream-offset`: the history first, then live (retention/retention.ts). */
  private withHistory(
    sub: Subscription,
    request: SubscriptionRequest,
    after: (kept: Subscription) => Promise<Subscription> | Subscription,
  ): Promise<Subscription> | Subscription {
    const done = (h: HistorySubscribed): Promise<Subscription> | Subscription => {
      request.recovered = h.recovered;
      return after(h.subscription);
    };
    const subscribed = this.retention!.subscribe(this.broker, sub, request.position!);
    return andThen(subscribed, done);
  }
}

/** The MESSAGE-to-be of a client SEND: its headers carried over, except those the broker owns (message-converter.ts). */
function messageFromFrame(destination: string, frame: Frame, textBody: boolean): BrokerMessage {
  const pairs: HeaderPair[] = [];
  for (const [name, value] of frame.headers) if (!isBrokerOwned(name)) pairs.push([name, value]);
  return new BrokerMessage(destination, frame.body, frame.headers.get('content-type'), pairs, undefined, textBody);
}
