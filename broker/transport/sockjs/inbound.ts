import type { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../errors';
import { readBody, type BodyOutcome } from './body-reader';
import { MessageFault, parseMessages } from './framing';
import { cors, noCache, reply } from './http-headers';
import type { SockJsSession } from './sockjs-session';

/** The code of the ERROR a session gets for an inbound SockJS message that is not a JSON array of strings. */
export const MALFORMED_MESSAGE: ErrorCode = 'STOMP_ERR_MALFORMED_SOCKJS_MESSAGE';

/** The two ways an HTTP client sends: `xhr_send` (the body is the message) and `jsonp_send` (a form field `d`). */
export type SendKind = 'xhr' | 'jsonp';

/**
 * Reads the body of an `xhr_send` / `jsonp_send` to a session the caller found and checked,
 * within `limit` bytes, and delivers its messages. Past the limit: HTTP 413 and the session
 * ends (`STOMP_ERR_FRAME_TOO_LARGE`); not a JSON array of strings: HTTP 500 with SockJS's own
 * answer and the session ends (`STOMP_ERR_MALFORMED_SOCKJS_MESSAGE`); nothing of it is
 * delivered then. `failed` handles a fault of ours; nothing escapes the body's listeners.
 */
export function handleSend(req: IncomingMessage, res: ServerResponse, session: SockJsSession, kind: SendKind, limit: number, failed: (err: unknown) => void): void {
  readBody(req, limit, (outcome) => {
    try {
      sent(req, res, session, kind, limit, outcome);
    } catch (err) {
      failed(err);
      session.failed(err);
    }
  });
}

function sent(req: IncomingMessage, res: ServerResponse, session: SockJsSession, kind: SendKind, limit: number, outcome: BodyOutcome): void {
  if (outcome.kind === 'aborted') return;
  if (outcome.kind === 'too-large') {
    reply(req, res, 413, 'Payload too large');
    session.refuse('STOMP_ERR_FRAME_TOO_LARGE', `SockJS message of ${outcome.size} bytes passes the limit of ${limit} bytes`);
    return;
  }
  const parsed = parseMessages(kind === 'xhr' ? outcome.body.toString('utf8') : formPayload(req, outcome.body), false);
  if (parsed instanceof MessageFault) {
    if (kind === 'xhr') cors(req, res);
    reply(req, res, 500, parsed.reply);
    session.refuse(MALFORMED_MESSAGE, parsed.reason);
    return;
  }
  session.deliver(parsed);
  noCache(res);
  if (kind === 'xhr') {
    cors(req, res);
    res.writeHead(204, { 'Content-Type': 'text/plain; charset=UTF-8' }).end();
  } else res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': '2' }).end('ok');
}

/** The payload of a `jsonp_send` body: the `d` field of a form, or the body itself as text. */
function formPayload(req: IncomingMessage, body: Buffer): string {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return new URLSearchParams(body.toString('utf8')).get('d') ?? '';
  return type === 'text/plain' || type === '' ? body.toString('utf8') : '';
}

/**
 * One inbound websocket message: a JSON array of strings (or a bare JSON string), delivered;
 * anything else ends the session. An empty message is ignored (sockjs-protocol); `ws` already
 * checked the UTF-8 and the size.
 */
export function handleWebSocketMessage(session: SockJsSession, data: Buffer, isBinary: boolean): void {
  if (isBinary) session.refuse(MALFORMED_MESSAGE, 'SockJS messages are text; received a binary WebSocket message');
  else if (data.length > 0) {
    const parsed = parseMessages(data.toString('utf8'), true);
    if (parsed instanceof MessageFault) session.refuse(MALFORMED_MESSAGE, parsed.reason);
    else session.deliver(parsed);
  }
}
