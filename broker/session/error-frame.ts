import type { ErrorCode, StompError } from '../errors';

/** The content type of every ERROR body the broker writes: the body repeats the reason in words. */
const ERROR_CONTENT_TYPE = 'text/plain;charset=UTF-8';

/** Versions a CONNECT refused for its `accept-version` is told the server speaks (STOMP 1.2 §CONNECT). */
const SUPPORTED_VERSIONS = '1.2,1.1,1.0';

/** An ERROR frame as the broker writes it: its headers in wire order and its body. */
export interface ErrorFrame {
  readonly headers: [string, string][];
  readonly body: Uint8Array;
}

const utf8 = new TextEncoder();

/**
 * The one place that builds the headers of an ERROR frame: `message` (the reason), `code` (the
 * catalog's code, docs/errors.md), `content-type`, then `receipt-id` when the failed frame asked
 * for a receipt (STOMP 1.2 §ERROR) and `version` when the CONNECT named no version we speak.
 */
export function errorHeaders(code: ErrorCode, message: string, receiptId?: string): [string, string][] {
  const headers: [string, string][] = [
    ['message', message],
    ['code', code],
    ['content-type', ERROR_CONTENT_TYPE],
  ];
  if (receiptId !== undefined) headers.push(['receipt-id', receiptId]);
  if (code === 'STOMP_ERR_UNSUPPORTED_VERSION') headers.push(['version', SUPPORTED_VERSIONS]);
  return headers;
}

/** The ERROR frame for `err`: its body is the error's detail, or its message when it has none. */
export function errorFrame(err: StompError, receiptId?: string): ErrorFrame {
  return { headers: errorHeaders(err.code, err.message, receiptId), body: utf8.encode(err.detail ?? err.message) };
}

/** What a transport that is not a STOMP stream (SSE, HTTP publish) reads back out of ERROR headers. */
export function errorOf(headers: Iterable<readonly [string, string]>): { code: string | undefined; message: string } {
  let code: string | undefined;
  let message = '';
  for (const [name, value] of headers) {
    if (name === 'code') code = value;
    else if (name === 'message') message = value;
  }
  return { code, message };
}
