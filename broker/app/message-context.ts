import type { Payload } from '../messaging/message-converter';

/** What a handler knows about the frame it handles. */
export interface MessageContext {
  /** The destination as the client sent it. */
  readonly destination: string;
  /** The destination the mapping matched (application prefix stripped). */
  readonly mappedDestination: string;
  /** Destination variables: `{room}` in `/chat/{room}` → `params.room`. */
  readonly params: Readonly<Record<string, string>>;
  /** The frame's headers (first occurrence of each name). */
  readonly headers: ReadonlyMap<string, string>;
  readonly sessionId: string;
  /** The session's principal name, if any. */
  readonly user: string | undefined;
  /** The principal as `authenticate` returned it (a name or an object with `name`), if any. */
  readonly principal: unknown;
  /** Sends a MESSAGE to the calling session only (SUBSCRIBE: to that subscription; SEND: to its `/user/queue/reply` subscriptions). */
  reply(payload: Payload, headers?: Record<string, string>): void;
}

/** A SEND handler: `(payload, ctx)`; its return value (if not undefined) is sent on (see routing in the README). */
export type MessageHandler<T = any> = (payload: T, ctx: MessageContext) => unknown;

/** A SUBSCRIBE handler: its return value (if not undefined) goes to the subscribing session only. */
export type SubscribeHandler = (ctx: MessageContext) => unknown;
