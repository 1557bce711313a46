import { createHash, randomBytes } from 'node:crypto';

/** What `GET <prefix>` and `GET <prefix>/` answer (the sockjs-protocol greeting). */
export const GREETING = 'Welcome to SockJS!\n';

/** How the iframe page may be framed, decided by `allowedOrigins`. */
export type FramingPolicy =
  /** Same origin only (the default): `X-Frame-Options: SAMEORIGIN`, `frame-ancestors 'self'`. */
  | 'same-origin'
  /** `allowedOrigins: ['*']`: every origin may use the endpoint, so any page may frame it. */
  | 'any'
  /** Specific foreign origins: no iframe page at all (404); their pages use the CORS transports. */
  | 'none';

/** The framing policy for an `allowedOrigins` list (Spring's rules for its iframe page). */
export function framingPolicy(allowedOrigins: readonly string[]): FramingPolicy {
  if (allowedOrigins.includes('*')) return 'any';
  return allowedOrigins.length === 0 ? 'same-origin' : 'none';
}

/** Headers that keep foreign pages from framing a response, unless the policy lets any page. */
export function framingHeaders(policy: FramingPolicy): Record<string, string> {
  return policy === 'any' ? {} : { 'X-Frame-Options': 'SAMEORIGIN', 'Content-Security-Policy': "frame-ancestors 'self'" };
}

/**
 * The iframe page of the iframe-based transports: it loads sockjs-client from `clientUrl`
 * (our own server, never a CDN) and lets the parent page drive a same-origin transport with
 * postMessage. Only a page the framing policy allows can host it.
 */
export class IframePage {
  readonly html: string;
  /** A strong validator of the page: it changes only with `clientUrl`. */
  readonly etag: string;

  constructor(clientUrl: string) {
    this.html = [
      '<!DOCTYPE html>',
      '<html>',
      '<head>',
      '  <meta http-equiv="X-UA-Compatible" content="IE=edge" />',
      '  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />',
      `  <script src="${escapeAttribute(clientUrl)}"></script>`,
      '  <script>SockJS.bootstrap_iframe();</script>',
      '</head>',
      '<body>',
      '  <p>SockJS transport frame.</p>',
      '</body>',
      '</html>',
    ].join('\n');
    this.etag = `"${createHash('sha256').update(this.html).digest('base64url').slice(0, 27)}"`;
  }
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The start of an htmlfile response: a page that hands each later `<script>p(...)</script>`
 * to the parent's callback object named by `c`. Padded past 1 KiB, after which old browsers
 * start running a document they receive piecemeal.
 */
export function htmlfilePrelude(callback: string): string {
  const head = [
    '<!doctype html>',
    '<html><head>',
    '  <meta http-equiv="X-UA-Compatible" content="IE=edge" />',
    '  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />',
    '</head><body>',
    '  <script>',
    `    var c = parent.${callback};`,
    '    c.start();',
    '    function p(d) { c.message(d); }',
    '    window.onload = function () { c.stop(); };',
    '  </script>',
  ].join('\n');
  return `${head.padEnd(1024, ' ')}\r\n\r\n`;
}

/** jsonp and htmlfile callbacks: a dotted JavaScript name, as sockjs-client makes (`_jp.a1b2c3`). */
const CALLBACK = /^[a-zA-Z0-9_.-]{1,32}$/;

/** The `c` query parameter if it is a valid callback name; undefined when missing, null when invalid. */
export function callbackOf(query: string): string | undefined | null {
  const c = new URLSearchParams(query).get('c');
  if (c === null) return undefined;
  return CALLBACK.test(c) ? c : null;
}

/**
 * The `/info` document. `origins` states the origin policy actually enforced: `['*:*']` when
 * every origin is allowed, else the configured entries (an empty list meaning same origin
 * only). `cookie_needed` is true because sessions are bound to their cookies, so a client
 * must use transports that send them.
 */
export function infoBody(allowedOrigins: readonly string[]): string {
  return JSON.stringify({
    websocket: true,
    origins: allowedOrigins.includes('*') ? ['*:*'] : allowedOrigins,
    cookie_needed: true,
    entropy: randomBytes(4).readUInt32BE(0),
  });
}
