import { isStompError } from '../errors';
import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { Subscription } from '../messaging/message-broker';
import { fromBody, toMessage } from '../messaging/message-converter';
import type { MessagingTemplate } from '../messaging/messaging-template';
import type { Session } from '../session/session';
import type { Frame } from '../stomp/frame';
import type { MatchedMapping, Mapping } from './handler-registry';
import type { MessageContext, MessageHandler, SubscribeHandler } from './message-context';

/** Where handler failures go: the sending session's subscriptions to this destination. */
export const ERRORS_DESTINATION = '/user/queue/errors';
/** Default destination of `ctx.reply()` for a SEND without a `reply-to` header. */
export const REPLY_DESTINATION = '/user/queue/reply';

/**
 * Invokes handlers (Spring's SimpAnnotationMethodMessageHandler): decodes the payload by
 * content type, builds the context, awaits the handler, routes its return value, and turns
 * a thrown error into a message on the session's `/user/queue/errors` subscriptions. A
 * handler error never closes the session.
 */
export class Dispatcher {
  constructor(
    private readonly template: MessagingTemplate,
    private readonly defaultPrefix: string,
    private readonly logger: Logger,
  ) {}

  /** Handles a SEND that a mapping matched; resolves once the handler settled. */
  dispatchSend(session: Session, frame: Frame, mapped: string, match: MatchedMapping): Promise<void> | void {
    const replyTo = frame.headers.get('reply-to') ?? REPLY_DESTINATION;
    const ctx = this.context(session, frame, mapped, match, (payload, headers) => deliverToOwn(session, replyTo, toMessage(replyTo, payload, headers)));
    let result: unknown;
    try {
      const payload = fromBody(frame.body, frame.headers.get('content-type'));
      result = (match.mapping.handler as MessageHandler)(payload, ctx);
    } catch (err) {
      return this.failed(session, frame, ctx, err);
    }
    if (isPromise(result)) {
      return result.then(
        (value) => this.routeReturn(session, match.mapping, ctx, value, undefined),
        (err: unknown) => this.failed(session, frame, ctx, err),
      );
    }
    return this.routeReturn(session, match.mapping, ctx, result, undefined);
  }

  /** Handles a SUBSCRIBE that a mapping matched; the return value goes to that subscription only. */
  dispatchSubscribe(session: Session, frame: Frame, subscription: Subscription, mapped: string, match: MatchedMapping): Promise<void> | void {
    const ctx = this.context(session, frame, mapped, match, (payload, headers) =>
      session.deliver(subscription, toMessage(subscription.destination, payload, headers)),
    );
    let result: unknown;
    try {
      result = (match.mapping.handler as SubscribeHandler)(ctx);
    } catch (err) {
      return this.failed(session, frame, ctx, err);
    }
    if (isPromise(result)) {
      return result.then(
        (value) => this.routeReturn(session, match.mapping, ctx, value, subscription),
        (err: unknown) => this.failed(session, frame, ctx, err),
      );
    }
    return this.routeReturn(session, match.mapping, ctx, result, subscription);
  }

  private context(session: Session, frame: Frame, mapped: string, match: MatchedMapping, reply: MessageContext['reply']): MessageContext {
    return {
      destination: frame.headers.get('destination')!,
      mappedDestination: mapped,
      params: match.params,
      headers: frame.headers,
      sessionId: session.sessionId,
      user: session.user,
      reply,
    };
  }

  /** Spring's return-value routing: @SendToUser, else @SendTo, else the default prefix + destination. */
  private routeReturn(session: Session, mapping: Mapping, ctx: MessageContext, value: unknown, subscription: Subscription | undefined): Promise<void> | void {
    if (value === undefined) return;
    if (isAsyncIterable(value)) return this.routeEach(session, mapping, ctx, value, subscription);
    return this.routeOne(session, mapping, ctx, value, subscription);
  }

  private async routeEach(session: Session, mapping: Mapping, ctx: MessageContext, items: AsyncIterable<unknown>, sub: Subscription | undefined): Promise<void> {
    for await (const item of items) await this.routeOne(session, mapping, ctx, item, sub);
  }

  private routeOne(session: Session, mapping: Mapping, ctx: MessageContext, value: unknown, subscription: Subscription | undefined): Promise<void> | void {
    if (mapping.sendToUser !== undefined) {
      const dest = fill(mapping.sendToUser, ctx.params);
      if (mapping.broadcast === false || session.user === undefined) {
        deliverToOwn(session, `/user${dest}`, toMessage(`/user${dest}`, value));
        return;
      }
      return this.template.convertAndSendToUser(session.user, dest, value);
    }
    if (mapping.sendTo !== undefined) {
      return all(mapping.sendTo.map((d) => this.template.convertAndSend(fill(d, ctx.params), value)));
    }
    if (subscription !== undefined) {
      session.deliver(subscription, toMessage(subscription.destination, value));
      return;
    }
    return this.template.convertAndSend(this.defaultPrefix + ctx.mappedDestination, value);
  }

  private failed(session: Session, frame: Frame, ctx: MessageContext, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn({ sessionId: session.sessionId, destination: ctx.destination, err: message }, 'Handler failed');
    const headers: Record<string, string> = {};
    const receipt = frame.headers.get('receipt');
    if (receipt !== undefined) headers['receipt-id'] = receipt;
    const correlation = frame.headers.get('correlation-id');
    if (correlation !== undefined) headers['correlation-id'] = correlation;
    const code = isStompError(err) ? err.code : 'STOMP_ERR_HANDLER_FAILED';
    deliverToOwn(session, ERRORS_DESTINATION, toMessage(ERRORS_DESTINATION, { code, message, destination: ctx.destination }, headers));
  }
}

/** Delivers to the session's own subscriptions at `destination` (never through the broker). */
export function deliverToOwn(session: Session, destination: string, message: BrokerMessage): void {
  for (const sub of session.subscriptions.values()) if (sub.destination === destination) session.deliver(sub, message);
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? params[name] : whole));
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

function all(results: (Promise<void> | void)[]): Promise<void> | void {
  const pending = results.filter((r): r is Promise<void> => r !== undefined);
  if (pending.length > 0) return Promise.all(pending).then(() => undefined);
}

