import type { IncomingMessage } from 'node:http';
import { errorOf } from '../../session/error-frame';
import { Session } from '../../session/session';
import type { SessionHost } from '../../session/session-host';
import { EMPTY_BODY, type Frame } from '../../stomp/frame';
import type { Connection, ConnectionHandler, HandshakeInfo } from '../connection';
import { httpStatusOf } from '../http-status';

/** How a publish ended: the HTTP status and the JSON or text body to answer with. */
export interface PublishOutcome {
  readonly status: number;
  readonly body: string;
  readonly json: boolean;
}

/** A publish request as a session sees it: nothing is ever written back over it, only its outcome. */
export class PublishConnection implements Connection {
  readonly transport = 'http-publish';
  readonly handshake: HandshakeInfo;
  readonly bufferedAmount = 0;
  handler: ConnectionHandler | undefined;
  private done = false;

  constructor(req: IncomingMessage) {
    this.handshake = { url: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress };
  }

  send(): void {
    // A publisher receives no frames: its outcome is the HTTP answer.
  }

  close(): void {
    this.terminate();
  }

  terminate(): void {
    if (this.done) return;
    this.done = true;
    this.handler?.closed('publish answered');
  }
}

/**
 * One `POST /publish` as a session: CONNECT (so `authenticate` decides from the HTTP request
 * when no token is configured), then the body as a SEND with a receipt, so it is routed and
 * authorized exactly as a SEND from any client: broker destinations (under
 * `allowClientSendToBroker`), application destinations to their handlers, user destinations,
 * interceptors and the per-destination rules. The RECEIPT answers 202; an ERROR answers the
 * status of its code with its message. The session ends with the answer.
 */
export class PublishSession extends Session {
  private answered = false;

  constructor(
    connection: PublishConnection,
    host: SessionHost,
    private readonly answer: (outcome: PublishOutcome) => void,
  ) {
    super(connection, host);
  }

  /** Publishes `body` to `destination` with its content type. */
  publish(destination: string, contentType: string | undefined, body: Uint8Array): void {
    // An HTTP body may be any bytes: the broker checks it for UTF-8 (as for a binary WebSocket message).
    this.binaryInput = true;
    this.enqueue(frame('CONNECT', new Map([['accept-version', '1.2']]), EMPTY_BODY));
    const headers = new Map([
      ['destination', destination],
      ['content-length', String(body.length)],
      ['receipt', 'publish'],
    ]);
    if (contentType !== undefined) headers.set('content-type', contentType);
    this.enqueue(frame('SEND', headers, body));
  }

  override sendFrame(command: 'CONNECTED' | 'RECEIPT' | 'ERROR' | 'MESSAGE', headers: Iterable<readonly [string, string]>): void {
    if (command === 'CONNECTED' || command === 'MESSAGE') return;
    this.flow.counters.frameOut(command);
    if (command === 'RECEIPT') {
      // SPEC §6.3: the offset when a retention rule keeps the destination (the RECEIPT carries it, frame-router.ts).
      const offset = new Map(headers).get('x-stream-offset');
      this.finish({ status: 202, body: offset === undefined ? '{}' : `{"offset":${Number(offset)}}`, json: true });
      this.end('disconnect', 1000, 'published');
      return;
    }
    const error = errorOf(headers);
    const code = error.code ?? 'STOMP_ERR_INTERNAL';
    this.finish({ status: httpStatusOf(code), body: `${code}: ${error.message}`, json: false });
  }

  /** A session that ended without an answer (shutdown, an internal failure) still answers. */
  override closed(transportReason: string): void {
    super.closed(transportReason);
    this.finish({ status: 503, body: 'STOMP_ERR_SERVER_SHUTDOWN: the session ended before the message was routed', json: false });
  }

  private finish(outcome: PublishOutcome): void {
    if (this.answered) return;
    this.answered = true;
    this.answer(outcome);
  }
}

function frame(command: 'CONNECT' | 'SEND', headers: Map<string, string>, body: Uint8Array): Frame {
  return { command, headers, body };
}
