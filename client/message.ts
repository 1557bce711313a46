import { decodeBody } from './body';

/**
 * The part of a @stomp/stompjs `IMessage` read here. Declared rather than imported: this
 * file's declarations are public, and @stomp/stompjs's types are an ES module that a CommonJS
 * consumer under TypeScript's node16 resolution may not import (TS1541).
 */
export interface StompjsMessage {
  readonly headers: Record<string, string>;
  readonly binaryBody: Uint8Array;
  ack(): void;
  nack(): void;
}

/** A message as a subscription handler receives it. */
export interface ReceivedMessage<T = unknown> {
  readonly destination: string;
  /** Every header of the MESSAGE frame. */
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** The body decoded by content type: JSON parsed, text as a string, anything else as bytes. */
  readonly body: T;
  /** The body as it arrived. */
  readonly bytes: Uint8Array;
  /** Acknowledges the message (subscriptions with `ack: 'client'` or `'client-individual'`). */
  ack(): void;
  /** Refuses the message (subscriptions with a client ack mode). */
  nack(): void;
}

/** Handles one message of a subscription: `(body, message)`. */
export type MessageHandler<T = unknown> = (body: T, message: ReceivedMessage<T>) => void;

/** Wraps a stompjs message, decoding its body once. */
export function receivedMessage<T>(m: StompjsMessage): ReceivedMessage<T> {
  const contentType = m.headers['content-type'];
  const bytes = m.binaryBody;
  return {
    destination: m.headers.destination,
    headers: m.headers,
    contentType,
    body: decodeBody(bytes, contentType) as T,
    bytes,
    ack: () => m.ack(),
    nack: () => m.nack(),
  };
}
