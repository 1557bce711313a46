import type { IncomingHttpHeaders } from 'node:http';
import { StompError, isStompError } from '../errors';
import type { ClientCertificate, HandshakeInfo } from '../transport/connection';

/** The HTTP handshake of a connection as `authenticate` sees it. */
export interface HandshakeRequest {
  /** The request URL (path and query) of the handshake: the upgrade, or the SockJS request that opened the session. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Cookies parsed from the `cookie` header (first occurrence of each name wins). */
  readonly cookies: Readonly<Record<string, string>>;
  /** Query parameters of `url` (first occurrence of each name wins). */
  readonly query: Readonly<Record<string, string>>;
  readonly remoteAddress: string | undefined;
  /**
   * STOMP over TLS when `tcp.tls` sets `requestCert`: the certificate the client presented
   * (subject, issuer, fingerprint...) and whether it chains to `tcp.tls.ca`; undefined on every
   * other transport and when the client sent none. An app authorizes by it in `authenticate`.
   */
  readonly clientCertificate?: ClientCertificate;
}

/** A principal: its name, or an object with a `name`. */
export type Principal = string | { readonly name: string };

/** What `authenticate` receives. */
export interface AuthenticateRequest {
  readonly request: HandshakeRequest;
  /** The CONNECT frame's headers (`login`, `passcode`, tokens...). */
  readonly connectHeaders: ReadonlyMap<string, string>;
  readonly sessionId: string;
}

/**
 * Decides who a CONNECT is. Return a principal, or `undefined` for an anonymous session;
 * throw, reject or return `false` to refuse it (the client gets ERROR
 * `STOMP_ERR_UNAUTHORIZED`, then the connection closes).
 */
export type Authenticate = (req: AuthenticateRequest) => Principal | undefined | false | Promise<Principal | undefined | false>;

/** Parses a handshake into {@link HandshakeRequest}. */
export function handshakeRequest(handshake: HandshakeInfo): HandshakeRequest {
  const url = new URL(handshake.url, 'http://localhost');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!Object.hasOwn(query, k)) query[k] = v;
  const request = { url: handshake.url, headers: handshake.headers, cookies: parseCookies(handshake.headers.cookie), query, remoteAddress: handshake.remoteAddress };
  return handshake.clientCertificate === undefined ? request : { ...request, clientCertificate: handshake.clientCertificate };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || Object.hasOwn(out, name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** The name of a principal. @throws StompError `STOMP_ERR_UNAUTHORIZED` when it has none */
export function principalName(principal: Principal): string {
  const name = typeof principal === 'string' ? principal : principal?.name;
  if (typeof name !== 'string' || name === '') throw new StompError('STOMP_ERR_UNAUTHORIZED', 'authenticate returned a principal without a name');
  return name;
}

/**
 * Runs `authenticate` and maps its outcome: a principal and its name, or undefined for
 * anonymous. Any refusal becomes `STOMP_ERR_UNAUTHORIZED`; the reason stays in the server log
 * (the client only learns that it was refused, unless a StompError was thrown on purpose).
 */
export async function runAuthenticate(auth: Authenticate, req: AuthenticateRequest): Promise<{ name: string; principal: Principal } | undefined> {
  let result: Principal | undefined | false;
  try {
    result = await auth(req);
  } catch (err) {
    if (isStompError(err, 'STOMP_ERR_UNAUTHORIZED')) throw err;
    throw new StompError('STOMP_ERR_UNAUTHORIZED', 'Authentication failed', undefined);
  }
  if (result === false || result === null) throw new StompError('STOMP_ERR_UNAUTHORIZED', 'Authentication failed');
  if (result === undefined) return undefined;
  return { name: principalName(result), principal: result };
}
