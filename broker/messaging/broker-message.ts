import { Buffer, isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { encodeMessageFrame, messageTailHead, type MessageTailFields } from '../stomp/encoder';
import type { StompVersion } from '../stomp/versions';

/** A header pair carried from a SEND (or the template) into every MESSAGE. */
export type HeaderPair = readonly [string, string];

const VERSION_INDEX: Record<StompVersion, number> = { '1.2': 0, '1.1': 1, '1.0': 2 };

// Unique across processes (random prefix) and cheap within one (counter).
const ID_PREFIX = randomBytes(6).toString('base64url');
let idCounter = 0;

/** A new message id, unique across the nodes of a cluster. */
export function nextMessageId(): string {
  return `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}

/**
 * One published message, immutable once built. It escapes its headers lazily and at most
 * once per STOMP version (the shared tail of the MESSAGE frame), and encodes at most once per
 * subscription id for auto-ack deliveries: subscribers whose subscription ids are equal
 * (stompjs names its first subscription `sub-0` in every client) share one encoded frame.
 */
export class BrokerMessage implements MessageTailFields {
  private readonly tails: (string | undefined)[] = [undefined, undefined, undefined];
  private readonly frames: (Map<string, Uint8Array> | undefined)[] = [undefined, undefined, undefined];
  private binaryBody: boolean | undefined;

  constructor(
    readonly destination: string,
    readonly body: Uint8Array,
    readonly contentType: string | undefined,
    readonly headers: readonly HeaderPair[] = [],
    readonly messageId: string = nextMessageId(),
    /** True when the body is known to be UTF-8 text (it came from a string). */
    textBody = false,
  ) {
    if (textBody) this.binaryBody = false;
  }

  /** True when the body is not valid UTF-8, so it must travel as a binary WebSocket message. */
  get binary(): boolean {
    if (this.binaryBody === undefined) this.binaryBody = !isUtf8(this.body);
    return this.binaryBody;
  }

  /** The same message at another destination (user destinations), sharing the body. */
  withDestination(destination: string): BrokerMessage {
    return new BrokerMessage(destination, this.body, this.contentType, this.headers, this.messageId, this.binaryBody === false);
  }

  /** The encoded MESSAGE for one delivery, as a Buffer: ws sends Buffers as they are, other views it wraps on every send. */
  frame(version: StompVersion, subscription: string, ack: string | undefined): Uint8Array {
    const v = VERSION_INDEX[version];
    let tail = this.tails[v];
    if (tail === undefined) tail = this.tails[v] = messageTailHead(this, version);
    if (ack !== undefined) return encodeMessageFrame(tail, this.body, subscription, ack, version, Buffer.allocUnsafe);
    let cache = this.frames[v];
    if (cache === undefined) cache = this.frames[v] = new Map();
    let frame = cache.get(subscription);
    if (frame === undefined) {
      frame = encodeMessageFrame(tail, this.body, subscription, undefined, version, Buffer.allocUnsafe);
      if (cache.size < 64) cache.set(subscription, frame);
    }
    return frame;
  }
}
