import { StompError } from '../errors';
import type { StompVersion } from './versions';

/**
 * Header value escaping (STOMP 1.2 §"Value Encoding"). 1.2 escapes `\r`, `\n`, `:` and `\`;
 * 1.1 the same without `\r`; 1.0 escapes nothing. CONNECT and CONNECTED frames are never
 * escaped, whatever the version, so that a 1.0 peer can read them. An undefined escape
 * sequence is a fatal protocol error.
 */

const ESCAPES_12: Record<string, string> = { r: '\r', n: '\n', c: ':', '\\': '\\' };
const ESCAPES_11: Record<string, string> = { n: '\n', c: ':', '\\': '\\' };

/** Decodes an escaped header name or value received under `version`. */
export function unescapeHeader(raw: string, version: StompVersion): string {
  if (version === '1.0' || raw.indexOf('\\') === -1) return raw;
  const table = version === '1.2' ? ESCAPES_12 : ESCAPES_11;
  let out = '';
  let start = 0;
  for (let i = raw.indexOf('\\'); i !== -1; i = raw.indexOf('\\', start)) {
    const next = raw[i + 1];
    const decoded = next === undefined ? undefined : Object.hasOwn(table, next) ? table[next] : undefined;
    if (decoded === undefined) {
      throw new StompError(
        'STOMP_ERR_INVALID_ESCAPE',
        `Undefined escape sequence "\\${next ?? ''}" in header "${raw}" (STOMP ${version})`,
      );
    }
    out += raw.slice(start, i) + decoded;
    start = i + 2;
  }
  return out + raw.slice(start);
}

const NEEDS_ESCAPE_12 = /[\r\n:\\]/;
const NEEDS_ESCAPE_11 = /[\n:\\]/;

/** Encodes a header name or value for sending under `version`. */
export function escapeHeader(value: string, version: StompVersion): string {
  if (version === '1.0') return stripEol(value);
  if (version === '1.2') {
    if (!NEEDS_ESCAPE_12.test(value)) return value;
    return value.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
  }
  if (!NEEDS_ESCAPE_11.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

/**
 * Encodes a header value of an ERROR that answers CONNECT, before any version is agreed: the
 * client may unescape by 1.1/1.2 rules or not at all (stompjs does not before CONNECTED). A
 * `:` stays as it is, which both read alike; an EOL becomes a space (stripEol); a `\` becomes
 * `\\`, which a 1.1/1.2 reader turns back into `\` and no reader rejects (a lone `\q` would
 * be a fatal undefined escape for 1.2 readers).
 */
export function preConnectHeader(value: string): string {
  const flat = stripEol(value);
  return flat.indexOf('\\') === -1 ? flat : flat.replace(/\\/g, '\\\\');
}

const EOL = /[\r\n]/g;

/**
 * Makes a value safe where no escaping applies (STOMP 1.0, CONNECT, CONNECTED): an EOL there
 * would end the header line and let a value inject headers, so each becomes a space.
 */
export function stripEol(value: string): string {
  return value.indexOf('\n') === -1 && value.indexOf('\r') === -1 ? value : value.replace(EOL, ' ');
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A copy of a header value that refers to no larger string. Decoded values are slices of
 * their frame's head, and V8 keeps a sliced string's whole parent alive: a value kept for a
 * session's lifetime (a subscription's id and destination) would hold its SUBSCRIBE frame's
 * head too. Costs one encode and decode, once per SUBSCRIBE.
 */
export function detached(value: string): string {
  return decoder.decode(encoder.encode(value));
}
