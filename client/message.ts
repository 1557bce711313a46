import type { IMessage } from '@stomp/stompjs';
import { decodeBody } from './body';

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
export function receivedMessage<T>(m: IMessage): ReceivedMessage<T> {
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
