import { Buffer } from 'node:buffer';
import { isPattern } from '../../destinations/segments';
import type { BrokerMessage } from '../../messaging/broker-message';
import type { Subscription } from '../../messaging/message-broker';
import { errorOf } from '../../session/error-frame';
import { Session } from '../../session/session';
import type { SessionHost } from '../../session/session-host';
import { EMPTY_BODY, type Frame } from '../../stomp/frame';
import type { StompVersion } from '../../stomp/versions';
import { httpStatusOf } from '../http-status';
import type { SseConnection } from './sse-connection';
import { eventId, positionsOf, stampOf, type StreamPosition } from './event-id';
import { eventData, SSE_HEARTBEAT, type SseFormat } from './sse-event';

/** What one `GET /sse` asked for. */
export interface SseStream {
  readonly destinations: readonly string[];
  readonly format: SseFormat;
  /** Heart-beat comment interval, ms (`sse.heartbeat`). */
  readonly heartbeat: number;
  /** The `retry:` announced to the browser, ms (`sse.retry`). */
  readonly retry: number;
  /** `Last-Event-ID` (header, or the `lastEventId` query parameter), when the client resumes. */
  readonly lastEventId: string | undefined;
  /** The `login` query parameter: the principal when the server has no `authenticate` (development only, as CONNECT `login`). */
  readonly login: string | undefined;
}

const HEARTBEAT = Buffer.from(SSE_HEARTBEAT);

/**
 * A session whose client reads an event stream. It is opened with the frames a STOMP client
 * would send, built here rather than parsed: CONNECT (so `authenticate` sees the HTTP request,
 * as for any handshake), then one SUBSCRIBE per destination with a receipt (so authorization,
 * user destinations, limits and the `subscribe` event are those of every transport). The last
 * RECEIPT accepts the stream (200); an ERROR before it refuses the request with the matching
 * HTTP status and the error's message, which names the destination at fault. After that,
 * MESSAGEs become events through flow control like any other write, heart-beats become
 * comments, and an ERROR (shutdown, slow consumer) becomes a `stomp-error` event before the
 * stream ends.
 */
export class SseSession extends Session {
  declare readonly connection: SseConnection;
  /** Events so far: the counter of the event ids (after the connection's random prefix). */
  private events = 0;
  private receipts = 0;
  private warnedBinary = false;
  /** Where this stream stands in each retained destination it asked for (the positions in its event ids). */
  private readonly positions = new Map<string, StreamPosition>();
  /** What the preamble says about the resume, once every SUBSCRIBE answered. */
  private readonly resumeNotes: string[] = [];
  private resumed = 0;

  constructor(
    connection: SseConnection,
    host: SessionHost,
    private readonly stream: SseStream,
  ) {
    super(connection, host);
  }

  /** Sends the opening frames; the stream starts once every SUBSCRIBE has its RECEIPT. */
  open(): void {
    const connect = new Map([
      ['accept-version', '1.2'],
      ['heart-beat', `0,${this.stream.heartbeat}`],
    ]);
    if (this.stream.login !== undefined) connect.set('login', this.stream.login);
    this.enqueue(frame('CONNECT', connect));
    const resume = positionsOf(this.stream.lastEventId);
    this.stream.destinations.forEach((destination, i) => {
      const headers = new Map([['id', `sse-${i}`], ['destination', destination], ['ack', 'auto'], ['receipt', `sse-${i}`]]);
      const from = resume.get(destination);
      if (from !== undefined) {
        // SPEC §6.1: the history after the last message the client got, if that history is still the same (epoch).
        headers.set('x-stream-offset', `offset=${from.offset + 1}`);
        headers.set('x-stream-epoch', from.epoch);
        this.positions.set(destination, from);
        this.resumed++;
      }
      this.enqueue(frame('SUBSCRIBE', headers));
    });
  }

  /** The server writes every `heartbeat` ms whatever CONNECT negotiation would give; the client never writes. */
  override connected(version: StompVersion, user: string | undefined): void {
    super.connected(version, user, this.stream.heartbeat, 0);
  }

  override sendFrame(command: 'CONNECTED' | 'RECEIPT' | 'ERROR' | 'MESSAGE', headers: Iterable<readonly [string, string]>): void {
    if (command === 'RECEIPT') {
      const h = new Map(headers);
      if (h.get('x-stream-recovered') === 'false') {
        const destination = this.stream.destinations[Number(h.get('receipt-id')?.slice(4))];
        this.resumeNotes.push(`${JSON.stringify(destination)} could not be resumed in full (history lost or expired); it starts at the oldest message kept`);
      }
      if (++this.receipts === this.stream.destinations.length) this.connection.start(this.preamble());
      return;
    }
    if (command !== 'ERROR') return; // CONNECTED: the 200 comes with the last RECEIPT
    this.flow.counters.frameOut('ERROR');
    const { code, message } = errorOf(headers);
    if (!this.connection.started) {
      const status = httpStatusOf(code);
      this.connection.refuse(status, `${code ?? 'STOMP_ERR_INTERNAL'}: ${message}`, status === 401 ? { 'www-authenticate': 'Bearer realm="stompbox"' } : {});
      return;
    }
    this.write(Buffer.from(`event: stomp-error\ndata: ${JSON.stringify({ code, message })}\n\n`), false, 'final');
  }

  /** One MESSAGE as one event: `id:`, then the data lines; under the same flow control as a MESSAGE frame. */
  override writeMessage(subscription: Subscription, message: BrokerMessage): void {
    if (this.state !== 'connected') return;
    if (this.flow.blocked() && !this.flow.overLimit()) return;
    const data = eventData(message, subscription.id, this.stream.format);
    if (data === undefined) return this.skipBinary(message);
    this.wrote = true;
    this.flow.counters.messagesDelivered++;
    const stamp = message.headers.length < 2 ? undefined : stampOf(message.headers);
    if (stamp !== undefined) this.track(subscription, stamp);
    const counter = ++this.events;
    // Without retained positions the id is the stream's prefix and the counter, written by the connection.
    const id = this.positions.size === 0 ? counter : `id: ${eventId(this.connection.idPrefix, counter, this.positions)}\n`;
    if (this.flow.outbox === undefined) this.connection.sendEvent(id, data);
    else this.flow.enqueue(Buffer.concat([Buffer.from(typeof id === 'number' ? `id: ${eventId(this.connection.idPrefix, counter, this.positions)}\n` : id, 'latin1'), data]), false);
  }

  override sendHeartbeat(): void {
    if (this.state === 'connected') this.flow.writeHeartbeat(HEARTBEAT);
  }

  /** Keeps the position of an exact destination of the stream (history is per exact destination; patterns resume nothing). */
  private track(subscription: Subscription, stamp: StreamPosition): void {
    const destination = this.stream.destinations[Number(subscription.id.slice(4))];
    if (destination !== undefined && !isPattern(destination)) this.positions.set(destination, stamp);
  }

  /** `retry:`, and comments on a resume: what could not be resumed, or that nothing could. */
  private preamble(): string {
    let text = `retry: ${this.stream.retry}\n\n`;
    if (this.stream.lastEventId === undefined) return text;
    if (this.resumed === 0) {
      // No retained position in the id: no retention for these destinations (SPEC §6.1), or not an id of ours.
      text += ': Last-Event-ID names no retained position for these destinations (no retention); continuing live\n\n';
    }
    for (const note of this.resumeNotes) text += `: ${note}\n\n`;
    return text;
  }

  private skipBinary(message: BrokerMessage): void {
    if (this.warnedBinary) return;
    this.warnedBinary = true;
    this.host.options.logger.warn(
      { sessionId: this.sessionId, transport: 'sse', destination: message.destination },
      'MESSAGE with a non-UTF-8 body not delivered: an event stream carries text only',
    );
  }
}

function frame(command: 'CONNECT' | 'SUBSCRIBE', headers: Map<string, string>): Frame {
  return { command, headers, body: EMPTY_BODY };
}
