import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { TcpEndpoint } from './transport';
import type { TlsClientOptions } from './options';

/** The WebSocket ready states @stomp/stompjs reads. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/**
 * STOMP over a TCP (or TLS) socket, shaped as the WebSocket @stomp/stompjs drives: the bytes
 * of the stream go to its parser as they arrive (it reassembles frames cut anywhere), its
 * frames and heart-beats are written as they are. Node only; browsers have no TCP.
 */
export class TcpStompSocket {
  readonly url: string;
  readyState = CONNECTING;
  binaryType = 'arraybuffer';
  onopen: ((ev?: unknown) => void) | null = null;
  onmessage: ((ev: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((ev: { message: string }) => void) | null = null;
  private readonly socket: Socket;
  private closeCode = 1000;
  private readonly openListeners: (() => void)[] = [];

  constructor(endpoint: TcpEndpoint, tls: TlsClientOptions | undefined) {
    this.url = `${endpoint.secure ? 'tls' : 'tcp'}://${endpoint.host}:${endpoint.port}`;
    const ready = endpoint.secure ? 'secureConnect' : 'connect';
    this.socket = endpoint.secure
      ? tlsConnect({ host: endpoint.host, port: endpoint.port, servername: isIp(endpoint.host) ? undefined : endpoint.host, ...(tls as ConnectionOptions) })
      : netConnect({ host: endpoint.host, port: endpoint.port });
    this.socket.setNoDelay(true);
    this.socket.once(ready, () => {
      this.readyState = OPEN;
      for (const listener of this.openListeners) listener();
      this.onopen?.();
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.onmessage?.({ data: chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer });
    });
    this.socket.on('error', (err) => {
      this.onerror?.({ message: err.message });
    });
    this.socket.on('close', (hadError) => {
      this.readyState = CLOSED;
      this.onclose?.({ code: hadError && this.closeCode === 1000 ? 1006 : this.closeCode, reason: '', wasClean: !hadError });
    });
  }

  /** The one event the client listens to besides the `on...` handlers. */
  addEventListener(type: string, listener: () => void): void {
    if (type === 'open') this.openListeners.push(listener);
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    if (this.readyState !== OPEN) return;
    this.socket.write(typeof data === 'string' ? data : data instanceof Uint8Array ? data : new Uint8Array(data));
  }

  /** Ends the stream after what was written (a FIN; TCP has no close code). */
  close(): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    this.socket.end();
  }

  /** Drops the socket at once (a dead connection). */
  terminate(): void {
    this.readyState = CLOSING;
    this.closeCode = 4001;
    this.socket.destroy();
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
