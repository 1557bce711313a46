/**
 * Random HTTP requests to every URL shape of a SockJS endpoint: the greeting (`<prefix>`,
 * `<prefix>/`), `/info`, `/iframe*.html`, and `/<server>/<session>/<transport>` for every
 * transport (and some that are not), with random methods, headers (origins, content types,
 * cookies, CORS preflight, upgrade, expect, transfer encodings), bodies (SockJS messages,
 * form-encoded ones, random bytes, large ones), bad ids, query strings (callbacks good and
 * bad), Content-Length that lies (short, long, not a number, twice) and bodies that trickle.
 * Session ids come from a small pool most of the time, so requests meet the sessions earlier
 * ones opened.
 */
import fc from 'fast-check';
import { sockJsMessage } from './sockjs-cases';

export type LengthMode = 'exact' | 'none' | 'short' | 'long' | 'garbage' | 'chunked' | 'twice';

export interface HttpCase {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Array<[string, string]>;
  readonly body: string | Uint8Array | undefined;
  readonly length: LengthMode;
  readonly slow: { chunks: number; delayMs: number } | undefined;
}

/** Percent-encodes every byte of the UTF-8 of `t` (encodeURIComponent throws on a lone surrogate). */
function pct(t: string): string {
  return [...Buffer.from(t, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

const TRANSPORTS = ['websocket', 'xhr', 'xhr_send', 'xhr_streaming', 'eventsource', 'htmlfile', 'jsonp', 'jsonp_send', 'XHR', 'xhr/x', 'info', ''];
const SESSIONS = ['s1', 's2', 's3', 's4', 's5'];
const text = fc.string({ maxLength: 16 });
const id = fc.oneof(
  { arbitrary: fc.constantFrom(...SESSIONS), weight: 8 },
  { arbitrary: fc.constantFrom('', '.', '..', 'a.b', '%2e%2e', '%00', '%zz', 'x'.repeat(300), '\u00e9', '*'), weight: 2 },
  { arbitrary: text.map(pct), weight: 1 },
);
const server = fc.oneof({ arbitrary: fc.constant('000'), weight: 6 }, fc.constantFrom('1', 'abc', '', '.', '0'.repeat(100)), text.map(pct));

const path = fc.oneof(
  { arbitrary: fc.tuple(server, id, fc.constantFrom(...TRANSPORTS)).map(([s, i, t]) => `/stomp/${s}/${i}/${t}`), weight: 10 },
  { arbitrary: fc.constantFrom('/stomp', '/stomp/', '/stomp/info', '/stomp/iframe.html', '/stomp/iframe-a1b2c3.html', '/stomp/iframe.HTML', '/stomp/iframe-.html', '/stomp/websocket', '/stomp/chunking_test'), weight: 4 },
  { arbitrary: fc.constantFrom('/health', '/metrics', '/lib/sockjs.min.js', '/lib/', '/lib/../package.json', '/', '/nope', '/stomp/../health', '//stomp/info'), weight: 1 },
  { arbitrary: fc.webPath().map((p) => `/stomp${p}`), weight: 1 },
);

const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 4 },
  fc.constantFrom('?c=cb', '?c=callback_1', '?t=1', '?c=', '?c=a.b', `?c=${encodeURIComponent('alert(1)//')}`, `?c=${'c'.repeat(100)}`, '?c=cb&c=other', '?%zz'),
  text.map((t) => `?${pct(t)}=${pct(t)}`),
);

const header = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['Origin', 'http://evil.example'],
    ['Origin', 'null'],
    ['Origin', ''],
    ['Content-Type', 'text/plain'],
    ['Content-Type', 'application/json'],
    ['Content-Type', 'application/x-www-form-urlencoded'],
    ['Content-Type', 'text/plain;charset=UTF-8'],
    ['Content-Type', 'multipart/form-data; boundary=x'],
    ['Cookie', 'JSESSIONID=dummy'],
    ['Access-Control-Request-Method', 'POST'],
    ['Access-Control-Request-Headers', 'x-a, content-type'],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Connection', 'keep-alive'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Sec-WebSocket-Key', 'bad'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Version', '8'],
    ['Sec-WebSocket-Protocol', 'v12.stomp'],
    ['If-None-Match', '"abc"'],
    ['If-None-Match', '*'],
    ['Expect', '100-continue'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Range', 'bytes=0-1'],
    ['X-Forwarded-For', '1.2.3.4'],
  ),
  fc.tuple(fc.constantFrom('X-Random', 'Accept', 'User-Agent', 'Referer'), fc.string({ maxLength: 40 }).map((v) => v.replace(/[\r\n\0]/g, ' '))),
);

const body = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: sockJsMessage, weight: 4 },
  { arbitrary: sockJsMessage.map((m) => `d=${pct(m)}`), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 2048 }), weight: 1 },
  { arbitrary: fc.integer({ min: 100_000, max: 400_000 }).map((n) => JSON.stringify(['x'.repeat(n)])), weight: 1 },
);

export const httpCase: fc.Arbitrary<HttpCase> = fc.record({
  method: fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST', 'OPTIONS'), weight: 8 }, { arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND', 'get'), weight: 2 }),
  path,
  query,
  headers: fc.array(header, { maxLength: 5 }),
  body,
  length: fc.oneof({ arbitrary: fc.constant<LengthMode>('exact'), weight: 6 }, fc.constantFrom<LengthMode>('none', 'short', 'long', 'garbage', 'chunked', 'twice')),
  slow: fc.option(fc.record({ chunks: fc.integer({ min: 2, max: 5 }), delayMs: fc.integer({ min: 10, max: 150 }) }), { freq: 6 }),
});

/** The request head (request line and headers) and body chunks of a case, for `port`. */
export function wireOf(c: HttpCase, port: number): { head: string; body: Buffer[] } {
  const payload = c.body === undefined ? Buffer.alloc(0) : Buffer.from(c.body);
  const lines = [`${c.method} ${c.path}${c.query} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...c.headers.map(([n, v]) => `${n}: ${v}`)];
  let sent = payload;
  switch (c.length) {
    case 'exact':
      if (payload.length > 0 || c.method === 'POST') lines.push(`Content-Length: ${payload.length}`);
      break;
    case 'none':
      break;
    case 'short':
      lines.push(`Content-Length: ${Math.max(0, payload.length - 5)}`);
      break;
    case 'long':
      lines.push(`Content-Length: ${payload.length + 1000}`);
      break;
    case 'garbage':
      lines.push('Content-Length: 12abc');
      break;
    case 'twice':
      lines.push(`Content-Length: ${payload.length}`, `Content-Length: ${payload.length + 1}`);
      break;
    case 'chunked':
      lines.push('Transfer-Encoding: chunked');
      sent = Buffer.concat([Buffer.from(payload.length > 0 ? `${payload.length.toString(16)}\r\n` : ''), payload, Buffer.from(payload.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n')]);
      break;
  }
  const chunks = c.slow?.chunks ?? 1;
  const size = Math.ceil(sent.length / chunks);
  const body: Buffer[] = [];
  for (let i = 0; i < sent.length; i += size) body.push(sent.subarray(i, i + size));
  return { head: lines.join('\r\n'), body };
}
