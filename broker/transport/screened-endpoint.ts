import type { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { OriginPolicy } from '../security/origin-policy';
import type { Endpoint } from './endpoint';

/** Whether new connections are taken now (the session registry answers it). */
export interface Admission {
  /** True while new connections are refused: shutting down, or at `maxConnections`. */
  refusing(): boolean;
  /** Counts a handshake refused before it completed. */
  refused(): void;
}

/** What a {@link ScreenedEndpoint} checks before its endpoint sees a request or upgrade. */
export interface Screening {
  readonly origins: OriginPolicy;
  readonly admission: Admission;
  /** Screen the origin of plain requests too (SockJS's HTTP transports); false: upgrades only. */
  readonly requests: boolean;
  /** Request paths that skip the origin screen (answered without opening anything). */
  readonly exempt?: (pathname: string) => boolean;
}

/**
 * A transport endpoint behind the checks every connection passes before its handshake
 * completes: the origin policy (403) and admission (503 over `maxConnections` or while shutting
 * down), so a refused client never costs a session. The application's own paths never get here.
 */
export class ScreenedEndpoint implements Endpoint {
  readonly name: string;
  readonly handleRequest?: (req: IncomingMessage, res: ServerResponse) => void;
  readonly handleUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(
    readonly inner: Endpoint,
    private readonly screening: Screening,
  ) {
    this.name = inner.name;
    if (inner.handleRequest !== undefined) this.handleRequest = (req, res) => this.request(req, res);
    if (inner.handleUpgrade !== undefined) this.handleUpgrade = (req, socket, head) => this.upgrade(req, socket, head);
  }

  owns(pathname: string): boolean {
    return this.inner.owns(pathname);
  }

  close(): Promise<void> | void {
    return this.inner.close();
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const s = this.screening;
    if (s.requests && !s.origins.allows(req.headers) && s.exempt?.(pathOnly(req.url)) !== true) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Origin not allowed');
      return;
    }
    this.inner.handleRequest!(req, res);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const s = this.screening;
    if (s.admission.refusing()) {
      // Over maxConnections or shutting down: refuse our handshakes (not the application's own) before they complete.
      s.admission.refused();
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else if (!s.origins.allows(req.headers)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else this.inner.handleUpgrade!(req, socket, head);
  }
}

function pathOnly(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
