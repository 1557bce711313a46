import { StompError } from '../errors';
import type { DestinationRouter } from '../messaging/destination-router';
import type { MessageBroker } from '../messaging/message-broker';
import type { StompSession } from '../session/stomp-session';
import { detached } from '../stomp/headers';
import { ERRORS_DESTINATION, REPLY_DESTINATION } from './dispatcher';

/** Most reply queues one anonymous session claims through `reply-to` (each costs its name). */
export const MAX_CLAIMED_REPLY_QUEUES = 16;

/**
 * Per-session queues: what the server sends to one session only (handler failures on
 * `/user/queue/errors`, `ctx.reply()` on `/user/queue/reply` or the SEND's `reply-to`). They
 * are read by their session and written by the server, never by a client:
 *
 * - A client SEND to `/user/queue/errors` or `/user/queue/reply`, or to another user's
 *   (`/user/<name>/queue/errors`, `/user/<name>/queue/reply`), is refused with
 *   `STOMP_ERR_FORBIDDEN`. With `/user` as a broker prefix (the reference app) such a SEND
 *   would otherwise be a broadcast reaching every anonymous session subscribed there, whose
 *   client would take it for the answer to its oldest request.
 * - An anonymous session's subscription to one of them is the session's own (never a
 *   broadcast subscription), also when `/user` is a broker prefix.
 * - A SEND of an anonymous session whose `reply-to` is under the user prefix claims that
 *   destination as a reply queue of the session: its subscriptions there (made before, as
 *   clients subscribe first and then ask) leave the broker and become the session's own, and
 *   so do later ones. At most {@link MAX_CLAIMED_REPLY_QUEUES} per session, each counted
 *   against its `maxSubscriptionBytes`; past either, a reply-to is not claimed (replies still
 *   reach only this session, and the client matches them by correlation-id).
 *
 * Authenticated sessions' subscriptions to `/user/queue/...` are principal-based and reached
 * only through their user (`publishToUser`); what guards their reply queues from other users
 * is the SEND refusal above and the request's `correlation-id`.
 */
export class ReservedQueues {
  private readonly fixed: ReadonlySet<string> = new Set([ERRORS_DESTINATION, REPLY_DESTINATION]);

  constructor(
    private readonly router: DestinationRouter,
    private readonly broker: MessageBroker,
    /** A claim's name counts against the session's `maxSubscriptionBytes`. */
    private readonly maxSubscriptionBytes: number,
  ) {}

  /** True when an anonymous session's SUBSCRIBE to `destination` is to be its own. */
  isSessionQueue(session: StompSession, destination: string): boolean {
    return this.fixed.has(destination) || session.replyQueues?.has(destination) === true;
  }

  /** @throws StompError `STOMP_ERR_FORBIDDEN` when a client SEND names a per-session queue */
  checkSend(destination: string): void {
    const target = this.fixed.has(destination) ? destination : this.router.userTarget(destination)?.destination;
    if (target !== undefined && this.fixed.has(target)) {
      throw new StompError('STOMP_ERR_FORBIDDEN', `Clients may not SEND to "${destination}": ${target} is a per-session queue written by the server only`);
    }
  }

  /**
   * Claims a SEND's `reply-to` under the user prefix as a reply queue of an anonymous session,
   * moving the session's broadcast subscriptions there out of the broker. Resolves once they
   * are out (a cluster broker may answer asynchronously).
   */
  claimReplyTo(session: StompSession, replyTo: string | undefined): Promise<void> | void {
    if (replyTo === undefined || session.user !== undefined || !this.router.isUserDestination(replyTo)) return;
    if (this.isSessionQueue(session, replyTo)) return;
    const claimed = (session.replyQueues ??= new Set());
    if (claimed.size >= MAX_CLAIMED_REPLY_QUEUES || session.subscriptionBytes + replyTo.length > this.maxSubscriptionBytes) return;
    claimed.add(detached(replyTo));
    session.subscriptionBytes += replyTo.length;
    const pending: Promise<void>[] = [];
    for (const sub of session.subscriptions.values()) {
      if (sub.destination !== replyTo || sub.user !== undefined) continue;
      const done = this.broker.unsubscribe(sub);
      if (done !== undefined) pending.push(done);
    }
    if (pending.length > 0) return Promise.all(pending).then(() => undefined);
  }
}
