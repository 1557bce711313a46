import type { IncomingMessage, ServerResponse } from 'node:http';

/** What SockJS's cacheable resources (iframe page, preflights) are cached for: a year, in seconds. */
export const ONE_YEAR = 365 * 24 * 60 * 60;

/** Responses of live transports must never be cached or transformed by a proxy. */
export function noCache(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store, no-cache, no-transform, must-revalidate, max-age=0');
}

export function cacheFor(res: ServerResponse, seconds: number): void {
  res.setHeader('Cache-Control', `public, max-age=${seconds}`);
  res.setHeader('Expires', new Date(Date.now() + seconds * 1000).toUTCString());
}

/** A header value a client asks us to echo: a comma-separated list of header names only. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * CORS headers of a transport or info response. The origin was screened before the request
 * reached the endpoint (403 otherwise), so an `Origin` present here is allowed and is echoed
 * with credentials; without one any origin may read the answer, which carries no credentials.
 */
export function cors(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') res.setHeader('Access-Control-Allow-Origin', '*');
  else {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  res.setHeader('Vary', 'Origin');
  const asked = req.headers['access-control-request-headers'];
  if (asked !== undefined && HEADER_LIST.test(asked)) res.setHeader('Access-Control-Allow-Headers', asked);
}

/** Answers a CORS preflight for a resource that takes `methods`. */
export function preflight(req: IncomingMessage, res: ServerResponse, methods: string): void {
  cors(req, res);
  cacheFor(res, ONE_YEAR);
  res.setHeader('Access-Control-Allow-Methods', methods);
  res.setHeader('Access-Control-Max-Age', String(ONE_YEAR));
  res.writeHead(204).end();
}

/**
 * Answers with a plain-text status. When the request body was not read (a refused POST), the
 * connection closes once the answer is out instead of reading the rest of the body.
 */
export function reply(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const unread = hasBody(req) && !req.readableEnded;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', ...(unread ? { Connection: 'close' } : {}), ...headers });
  res.end(text);
  if (unread) res.once('finish', () => setImmediate(destroySocket, req));
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function destroySocket(req: IncomingMessage): void {
  req.socket.destroy();
}
