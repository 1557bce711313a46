import { Buffer } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import type { TransportName } from '../connection';
import { messageFrame } from './framing';
import { htmlfilePrelude } from './pages';
import type { Receiver, ReceiverOwner } from './receiver';

/** How one HTTP transport wraps SockJS frames in its response. */
export interface HttpFormat {
  readonly transport: TransportName;
  readonly contentType: string;
  /** Streaming responses take frames until the stream limit; polling ones take one frame and end. */
  readonly streaming: boolean;
  /** Written before the first frame. */
  prelude(callback: string): string;
  wrap(frame: string, callback: string): string;
}

const NONE = (): string => '';

/** The HTTP transports by their URL name (sockjs-protocol 0.3). */
export const HTTP_FORMATS = {
  xhr: {
    transport: 'xhr-polling',
    contentType: 'application/javascript; charset=UTF-8',
    streaming: false,
    prelude: NONE,
    wrap: (frame: string) => `${frame}\n`,
  },
  xhr_streaming: {
    transport: 'xhr-streaming',
    contentType: 'application/javascript; charset=UTF-8',
    streaming: true,
    // 2 KiB first, so browsers that buffer the start of a response hand over the frames at once.
    prelude: () => `${'h'.repeat(2048)}\n`,
    wrap: (frame: string) => `${frame}\n`,
  },
  eventsource: {
    transport: 'eventsource',
    contentType: 'text/event-stream',
    streaming: true,
    prelude: () => '\r\n',
    wrap: (frame: string) => `data: ${escapeEventData(frame)}\r\n\r\n`,
  },
  htmlfile: {
    transport: 'htmlfile',
    contentType: 'text/html; charset=UTF-8',
    streaming: true,
    prelude: htmlfilePrelude,
    wrap: (frame: string) => `<script>\np(${scriptSafe(JSON.stringify(frame))});\n</script>\r\n`,
  },
  jsonp: {
    transport: 'jsonp-polling',
    contentType: 'application/javascript; charset=UTF-8',
    streaming: false,
    prelude: NONE,
    // The leading comment keeps a response from ever starting with bytes a plugin would take for its own format.
    wrap: (frame: string, callback: string) => `/**/${callback}(${JSON.stringify(frame)});\r\n`,
  },
} as const satisfies Record<string, HttpFormat>;

export type HttpTransport = keyof typeof HTTP_FORMATS;

/** sockjs-client reads event data through decodeURI: `%` and the line breaks an event cannot hold are escaped. */
function escapeEventData(frame: string): string {
  return /[%\r\n\0]/.test(frame) ? frame.replace(/[%\r\n\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : frame;
}

/** A JSON literal inside an HTML `<script>`: `<` escaped, so a body holding `</script>` stays inside the string. */
function scriptSafe(json: string): string {
  return json.includes('<') ? json.replace(/</g, '\\u003c') : json;
}

/**
 * A receiving HTTP response of one of the {@link HTTP_FORMATS}. It detaches from its session
 * as soon as it ends by itself (a poll answered, the stream limit reached), so the client's
 * next request can attach at once; a client that went away detaches it as aborted. A
 * response that cannot get its last bytes out within `flushGrace` is dropped, so a client
 * that stopped reading never holds memory past its session.
 */
export class HttpReceiver implements Receiver {
  readonly transport: TransportName;
  owner: ReceiverOwner | undefined;
  private written = 0;
  private ended = false;
  private flushed: (() => void) | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly format: HttpFormat,
    private readonly callback: string,
    private readonly streamLimit: number,
    private readonly flushGrace: number,
  ) {
    this.transport = format.transport;
    res.on('close', () => this.closed());
  }

  get bufferedAmount(): number {
    return this.res.destroyed ? 0 : this.res.writableLength;
  }

  writeFrame(frame: string): void {
    this.write(this.format.wrap(frame, this.callback));
  }

  writeMessages(frames: readonly Uint8Array[]): void {
    this.write(this.format.wrap(messageFrame(frames), this.callback));
  }

  finish(frame: string, flushed: () => void): void {
    if (this.ended) {
      flushed();
      return;
    }
    this.flushed = flushed;
    this.end(this.format.wrap(frame, this.callback));
  }

  destroy(): void {
    this.ended = true;
    this.res.destroy();
  }

  private write(chunk: string): void {
    if (this.ended) return;
    if (!this.format.streaming) {
      this.end(chunk);
      return;
    }
    this.res.write(chunk);
    this.written += Buffer.byteLength(chunk);
    // sockjs-protocol: a streaming response ends past the limit and the client opens another.
    if (this.written >= this.streamLimit) this.end(undefined);
  }

  private end(chunk: string | undefined): void {
    this.ended = true;
    if (!this.res.destroyed) this.res.end(chunk);
    if (!this.res.writableFinished && !this.res.destroyed) {
      this.graceTimer = setTimeout(destroyResponse, this.flushGrace, this.res);
      this.graceTimer.unref();
    }
    const owner = this.owner;
    this.owner = undefined;
    owner?.detach(this, false);
  }

  private closed(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    const owner = this.owner;
    this.owner = undefined;
    owner?.detach(this, true);
    const flushed = this.flushed;
    this.flushed = undefined;
    flushed?.();
  }
}

function destroyResponse(res: ServerResponse): void {
  res.destroy();
}
