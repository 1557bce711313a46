import { isStompError, StompError } from '../errors';
import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { Subscription } from '../messaging/message-broker';
import { fromBody, toMessage } from '../messaging/message-converter';
import type { MessagingTemplate } from '../messaging/messaging-template';
import type { StompSession } from '../session/stomp-session';
import type { Frame } from '../stomp/frame';
import type { ExceptionHandlerMapping, MatchedMapping, Mapping, ReplyOptions } from './handler-registry';
import type { MessageContext, MessageHandler, SubscribeHandler } from './message-context';
import { isPromiseLike } from '../value-or-promise';

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
    /** Global exception handlers (controller advice), read at failure time. */
    private readonly advice: readonly ExceptionHandlerMapping[] = [],
  ) {}

  /** Handles a SEND that a mapping matched; resolves once the handler settled. */
  dispatchSend(session: StompSession, frame: Frame, mapped: string, match: MatchedMapping): Promise<void> | void {
    const replyTo = frame.headers.get('reply-to') ?? REPLY_DESTINATION;
    const correlation = frame.headers.get('correlation-id');
    // A reply always carries the request's correlation-id (a handler's own header cannot replace
    // it), so concurrent requests pair up and a client can ignore any reply without it.
    const ctx = this.context(session, frame, mapped, match, (payload, headers) =>
      deliverToOwn(session, replyTo, toMessage(replyTo, payload, correlation === undefined ? headers : { ...headers, 'correlation-id': correlation })),
    );
    let result: unknown;
    try {
      const payload = validate(match.mapping, fromBody(frame.body, frame.headers.get('content-type')));
      result = (match.mapping.handler as MessageHandler)(payload, ctx);
    } catch (err) {
      return this.failed(session, frame, match.mapping, ctx, err, undefined);
    }
    return this.settle(session, frame, match.mapping, ctx, result, undefined);
  }

  /** Handles a SUBSCRIBE that a mapping matched; the return value goes to that subscription only. */
  dispatchSubscribe(session: StompSession, frame: Frame, subscription: Subscription, mapped: string, match: MatchedMapping): Promise<void> | void {
    const ctx = this.context(session, frame, mapped, match, (payload, headers) =>
      session.deliver(subscription, toMessage(subscription.destination, payload, headers)),
    );
    let result: unknown;
    try {
      result = (match.mapping.handler as SubscribeHandler)(ctx);
    } catch (err) {
      return this.failed(session, frame, match.mapping, ctx, err, subscription);
    }
    return this.settle(session, frame, match.mapping, ctx, result, subscription);
  }

  /** Routes a handler's result; a rejection, or a failure while routing (an AsyncIterable that throws), is a handler error. */
  private settle(session: StompSession, frame: Frame, mapping: Mapping, ctx: MessageContext, result: unknown, sub: Subscription | undefined): Promise<void> | void {
    const onError = (err: unknown): Promise<void> | void => this.failed(session, frame, mapping, ctx, err, sub);
    try {
      const routed = isPromiseLike(result)
        ? result.then((value) => this.routeReturn(session, mapping, ctx, value, sub, onError))
        : this.routeReturn(session, mapping, ctx, result, sub, onError);
      return isPromiseLike(routed) ? routed.then(undefined, onError) : routed;
    } catch (err) {
      return onError(err);
    }
  }

  private context(session: StompSession, frame: Frame, mapped: string, match: MatchedMapping, reply: MessageContext['reply']): MessageContext {
    return {
      destination: frame.headers.get('destination')!,
      mappedDestination: mapped,
      params: match.params,
      headers: frame.headers,
      sessionId: session.sessionId,
      user: session.user,
      principal: session.principal,
      reply,
    };
  }

  /** Spring's return-value routing: @SendToUser, else @SendTo, else the default prefix + destination. */
  private routeReturn(
    session: StompSession,
    mapping: ReplyOptions,
    ctx: MessageContext,
    value: unknown,
    subscription: Subscription | undefined,
    onError: (err: unknown) => Promise<void> | void,
  ): Promise<void> | void {
    if (value === undefined) return;
    if (isAsyncIterable(value)) {
      // A stream may last long: the session goes on with its next frames (and the RECEIPT)
      // while the items flow; a failure mid-stream is a handler error like any other.
      this.routeEach(session, mapping, ctx, value, subscription).catch(onError);
      return;
    }
    return this.routeOne(session, mapping, ctx, value, subscription);
  }

  private async routeEach(session: StompSession, mapping: ReplyOptions, ctx: MessageContext, items: AsyncIterable<unknown>, sub: Subscription | undefined): Promise<void> {
    for await (const item of items) await this.routeOne(session, mapping, ctx, item, sub);
  }

  private routeOne(session: StompSession, mapping: ReplyOptions, ctx: MessageContext, value: unknown, subscription: Subscription | undefined): Promise<void> | void {
    if (mapping.sendToUser !== undefined) {
      // Spring's default user destination: '/queue' + the mapped destination.
      const dest = mapping.sendToUser === '' ? `/queue${ctx.mappedDestination}` : fill(mapping.sendToUser, ctx.params);
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

  /**
   * A handler failed: the controller's own `@MessageExceptionHandler` for the error's class
   * if any, else a global one, else a structured message on the session's
   * `/user/queue/errors` subscriptions. Always a warn log; never a close.
   */
  private failed(session: StompSession, frame: Frame, mapping: Mapping, ctx: MessageContext, err: unknown, sub: Subscription | undefined): Promise<void> | void {
    const message = err instanceof Error ? err.message : String(err);
    const code = isStompError(err) ? err.code : 'STOMP_ERR_HANDLER_FAILED';
    this.logger.warn({ sessionId: session.sessionId, destination: ctx.destination, handler: mapping.name, code, err: message }, 'Handler failed');
    session.flow.counters.handlerErrors++;
    const handler = pickHandler(mapping.exceptionHandlers, err) ?? pickHandler(this.advice, err);
    if (handler !== undefined) {
      try {
        const result = handler.handler(err, ctx);
        const report = (again: unknown): void => this.reportError(session, frame, ctx, again);
        const routed = isPromiseLike(result) ? result.then((v) => this.routeReturn(session, handler, ctx, v, sub, report)) : this.routeReturn(session, handler, ctx, result, sub, report);
        if (isPromiseLike(routed)) return routed.then(undefined, report);
        return;
      } catch (again) {
        return this.reportError(session, frame, ctx, again);
      }
    }
    this.reportError(session, frame, ctx, err);
  }

  /** The structured error message: `{ code, message, destination, issues? }`, with the frame's receipt or correlation id. */
  private reportError(session: StompSession, frame: Frame, ctx: MessageContext, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const code = isStompError(err) ? err.code : 'STOMP_ERR_HANDLER_FAILED';
    const headers: Record<string, string> = {};
    const receipt = frame.headers.get('receipt');
    if (receipt !== undefined) headers['receipt-id'] = receipt;
    const correlation = frame.headers.get('correlation-id');
    if (correlation !== undefined) headers['correlation-id'] = correlation;
    const body: Record<string, unknown> = { code, message, destination: ctx.destination };
    if (err instanceof ValidationError) body.issues = err.issues;
    deliverToOwn(session, ERRORS_DESTINATION, toMessage(ERRORS_DESTINATION, body, headers));
  }
}

/** A payload that failed its mapping's schema; `issues` is what the schema reported. */
export class ValidationError extends StompError {
  constructor(
    destination: string,
    readonly issues: unknown,
  ) {
    super('STOMP_ERR_INVALID_PAYLOAD', `Payload sent to "${destination}" failed validation`);
  }
}

function validate(mapping: Mapping, payload: unknown): unknown {
  if (mapping.schema === undefined) return payload;
  const result = mapping.schema.safeParse(payload);
  if (result.success) return result.data;
  const error = result.error as { issues?: unknown } | undefined;
  throw new ValidationError(mapping.pattern.source, error?.issues ?? String(result.error));
}

/** The handler whose error class is nearest to the error's own class (Spring's ExceptionDepthComparator); catch-alls last. */
function pickHandler(handlers: readonly ExceptionHandlerMapping[] | undefined, err: unknown): ExceptionHandlerMapping | undefined {
  if (handlers === undefined || handlers.length === 0) return undefined;
  let best: ExceptionHandlerMapping | undefined;
  let bestDepth = Infinity;
  for (const h of handlers) {
    const depth = h.types.length === 0 ? 1e6 : Math.min(...h.types.map((t) => depthOf(err, t)));
    if (depth < bestDepth) {
      best = h;
      bestDepth = depth;
    }
  }
  return best;
}

function depthOf(err: unknown, type: abstract new (...args: any[]) => unknown): number {
  if (!(err instanceof type)) return Infinity;
  let depth = 0;
  for (let proto = Object.getPrototypeOf(err); proto !== null && proto !== type.prototype; proto = Object.getPrototypeOf(proto)) depth++;
  return depth;
}

/** Delivers to the session's own subscriptions at `destination` (never through the broker). */
export function deliverToOwn(session: StompSession, destination: string, message: BrokerMessage): void {
  for (const sub of session.subscriptions.values()) if (sub.destination === destination) session.deliver(sub, message);
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? params[name] : whole));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

function all(results: (Promise<void> | void)[]): Promise<void> | void {
  const pending = results.filter((r): r is Promise<void> => r !== undefined);
  if (pending.length > 0) return Promise.all(pending).then(() => undefined);
}

