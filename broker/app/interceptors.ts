import { StompError, isStompError } from '../errors';
import type { Logger } from '../logger';
import type { BrokerMessage } from '../messaging/broker-message';
import type { Subscription } from '../messaging/message-broker';
import type { Frame } from '../stomp/frame';

/** What interceptors see of a session (Spring's `SimpMessageHeaderAccessor` basics). */
export interface InterceptedSession {
  readonly sessionId: string;
  readonly user: string | undefined;
  readonly principal: unknown;
}

/**
 * Hooks around the message flow (Spring's `ChannelInterceptor`, a fixed set of named hooks).
 * Every hook may be async; a session's frames and MESSAGEs keep their order either way.
 */
export interface Interceptor {
  /**
   * Inbound, after decoding and before routing (CONNECT included). Return a frame to replace
   * it (modify headers or body), `false` to drop it (its RECEIPT, if asked, is still sent),
   * nothing to let it pass; throw to reject it: the session gets an ERROR and is closed
   * (a thrown StompError keeps its code, anything else becomes `STOMP_ERR_FORBIDDEN`).
   */
  beforeHandle?(frame: Frame, session: InterceptedSession): Frame | false | void | Promise<Frame | false | void>;
  /**
   * Outbound, before a MESSAGE is written to one subscriber. Return a message to replace it
   * (e.g. `new BrokerMessage(...)` with extra headers), `false` to drop it, nothing to send
   * it as is. A hook that throws drops the message and logs a warning.
   */
  beforeSend?(message: BrokerMessage, subscription: Subscription, session: InterceptedSession): BrokerMessage | false | void | Promise<BrokerMessage | false | void>;
}

/** A session as the outbound chain needs it. */
interface OutboundTarget extends InterceptedSession {
  /** Writes the MESSAGE, skipping the interceptors. */
  writeMessage(subscription: Subscription, message: BrokerMessage): void;
}

/**
 * The registered interceptors, run in registration order. The server keeps none until one is
 * added, and sessions test `hasInbound`/`hasOutbound` first, so the hot path costs nothing
 * when no interceptor is registered.
 */
export class InterceptorChain {
  private readonly inboundHooks: NonNullable<Interceptor['beforeHandle']>[] = [];
  private readonly outboundHooks: NonNullable<Interceptor['beforeSend']>[] = [];
  /** Per session, the tail of its outbound queue: async hooks must not reorder MESSAGEs. */
  private readonly tails = new WeakMap<OutboundTarget, Promise<void>>();
  hasInbound = false;
  hasOutbound = false;

  constructor(private readonly logger: Logger) {}

  /**
   * Adds an interceptor.
   * @throws StompError `STOMP_ERR_INVALID_OPTION` when it has neither `beforeHandle` nor `beforeSend`
   */
  add(interceptor: Interceptor): void {
    const { beforeHandle, beforeSend } = interceptor ?? {};
    if (typeof beforeHandle !== 'function' && typeof beforeSend !== 'function') {
      throw new StompError('STOMP_ERR_INVALID_OPTION', 'An interceptor needs a beforeHandle(frame, session) or beforeSend(message, subscription, session) method');
    }
    if (typeof beforeHandle === 'function') this.inboundHooks.push(beforeHandle.bind(interceptor));
    if (typeof beforeSend === 'function') this.outboundHooks.push(beforeSend.bind(interceptor));
    this.hasInbound = this.inboundHooks.length > 0;
    this.hasOutbound = this.outboundHooks.length > 0;
  }

  /** Runs the inbound hooks: the frame to handle, or undefined when a hook dropped it. */
  async inbound(frame: Frame, session: InterceptedSession): Promise<Frame | undefined> {
    let current = frame;
    for (const hook of this.inboundHooks) {
      let result: Frame | false | void;
      try {
        result = await hook(current, session);
      } catch (err) {
        if (isStompError(err)) throw err;
        throw new StompError('STOMP_ERR_FORBIDDEN', `${current.command} was rejected: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (result === false) return undefined;
      if (result !== undefined) current = result;
    }
    return current;
  }

  /** Runs the outbound hooks, then writes the MESSAGE, in order with the session's other MESSAGEs. */
  outbound(target: OutboundTarget, subscription: Subscription, message: BrokerMessage): void {
    const tail = this.tails.get(target) ?? Promise.resolve();
    const next = tail.then(async () => {
      let current = message;
      for (const hook of this.outboundHooks) {
        const result = await hook(current, subscription, target);
        if (result === false) return;
        if (result !== undefined) current = result;
      }
      target.writeMessage(subscription, current);
    });
    const settled = next.catch((err: unknown) => {
      this.logger.warn({ sessionId: target.sessionId, destination: message.destination, err: err instanceof Error ? err.message : String(err) }, 'Outbound interceptor failed; message dropped');
    });
    this.tails.set(target, settled);
  }
}
