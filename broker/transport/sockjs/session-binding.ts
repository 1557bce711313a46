import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * What ties the later requests of an HTTP SockJS session to the request that opened it. A
 * SockJS session id travels in every URL, so knowing it must not be enough to read or write
 * the session: a request that does not carry the same credentials gets 404, as Spring answers
 * a principal mismatch. The credentials are what `authenticate` can base a decision on and a
 * browser resends by itself: the `Cookie` and `Authorization` headers, kept only as a SHA-256
 * digest; optionally (`sockjs.bindRemoteAddress`) the client's address too.
 */
export class SessionBinding {
  private constructor(
    private readonly digest: Buffer,
    private readonly remoteAddress: string | undefined,
  ) {}

  /** The binding of the request that opens a session. */
  static of(req: IncomingMessage, bindRemoteAddress: boolean): SessionBinding {
    return new SessionBinding(credentialsDigest(req), bindRemoteAddress ? (req.socket.remoteAddress ?? '') : undefined);
  }

  /** True when `req` carries the same credentials (and comes from the same address, when bound). */
  matches(req: IncomingMessage): boolean {
    if (this.remoteAddress !== undefined && (req.socket.remoteAddress ?? '') !== this.remoteAddress) return false;
    return timingSafeEqual(credentialsDigest(req), this.digest);
  }
}

function credentialsDigest(req: IncomingMessage): Buffer {
  const { authorization, cookie } = req.headers;
  // A separator that cannot occur in a header value keeps the two fields apart.
  return createHash('sha256')
    .update(authorization ?? '')
    .update('\n')
    .update(cookie ?? '')
    .digest();
}
