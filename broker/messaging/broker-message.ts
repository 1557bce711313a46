import { Buffer, isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { encodeMessageFrame, messageTailHead, type MessageTailFields } from '../stomp/encoder';
import type { StompVersion } from '../stomp/versions';

/** A header pair carried from a SEND (or the template) into every MESSAGE. */
export type HeaderPair = readonly [string, string];

// Unique across processes (random prefix) and cheap within one (counter). Message ids are not
// capabilities, so predictable counters are fine here and keep the publish path free of a
// CSPRNG read: a 1.0/1.1 ACK names a message id but is looked up in the acking session's own
// tracker (session/ack-tracker.ts), so knowing another session's ids grants nothing.
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
  // Caches as plain fields: most messages are encoded for one version and one subscription id,
  // so a publish allocates no cache containers at all.
  private tail12: string | undefined;
  private tail11: string | undefined;
  private tail10: string | undefined;
  private firstVersion: StompVersion | undefined;
  private firstSubscription: string | undefined;
  private firstFrame: Buffer | undefined;
  private moreFrames: Map<string, Buffer> | undefined;
  private binaryBody: boolean | undefined;
  /** Frames kept beyond the first, at most (a message kept for many readers keeps fewer: its frames count against a cache). */
  frameCacheLimit = 64;

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
  frame(version: StompVersion, subscription: string, ack: string | undefined): Buffer {
    const tail = this.tail(version);
    if (ack !== undefined) return encodeMessageFrame(tail, this.body, subscription, ack, version);
    if (this.firstFrame === undefined) {
      this.firstVersion = version;
      this.firstSubscription = subscription;
      return (this.firstFrame = encodeMessageFrame(tail, this.body, subscription, undefined, version));
    }
    if (this.firstSubscription === subscription && this.firstVersion === version) return this.firstFrame;
    const key = `${version}\n${subscription}`;
    let frame = this.moreFrames?.get(key);
    if (frame === undefined) {
      frame = encodeMessageFrame(tail, this.body, subscription, undefined, version);
      this.moreFrames ??= new Map();
      if (this.moreFrames.size < this.frameCacheLimit) this.moreFrames.set(key, frame);
    }
    return frame;
  }

  /** The escaped header text of the shared tail, once per version. */
  private tail(version: StompVersion): string {
    if (version === '1.2') return (this.tail12 ??= messageTailHead(this, version));
    if (version === '1.1') return (this.tail11 ??= messageTailHead(this, version));
    return (this.tail10 ??= messageTailHead(this, version));
  }
}
