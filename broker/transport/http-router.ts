import type { Buffer } from 'node:buffer';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';
import type { Endpoint } from './endpoint';

/** Marks a request one of our handlers took, so the listener and the middleware never both answer it. */
const TAKEN = new WeakSet<IncomingMessage>();

/**
 * The broker's HTTP front: a list of {@link Endpoint}s and the one `request` and one `upgrade`
 * listener that offer each request or upgrade to them in order. It is a good citizen on an HTTP
 * server the application owns (engine.io and `ws` are the models):
 *
 * - it takes no other listener and re-emits nothing; a path none of our endpoints owns is left
 *   alone for the listeners added before or after ours, untouched and undelayed;
 * - an upgrade nobody else listens for would be destroyed by Node: only when ours is the server's
 *   sole `upgrade` listener does an unowned upgrade get our 404 (the same for requests and the
 *   `request` listeners, counted when the request arrives, not when we attached).
 *
 * Frameworks that answer every path themselves (Express's and Fastify's 404) would answer ours
 * too: with them the app hands our paths over through {@link middleware} (or {@link take} in a
 * hook), and the listener then leaves the request to whichever of the two sees it first.
 */
export class HttpRouter {
  private readonly endpoints: Endpoint[] = [];
  private http: HttpServer | undefined;

  constructor(private readonly logger: Logger) {}

  /** Adds an endpoint; earlier ones are asked first. */
  add(endpoint: Endpoint): this {
    this.endpoints.push(endpoint);
    return this;
  }

  /** The endpoints, in the order they are asked. */
  get list(): readonly Endpoint[] {
    return this.endpoints;
  }

  /** The endpoint that owns a request for `pathname`, if any. */
  requestOwner(req: IncomingMessage, pathname: string): Endpoint | undefined {
    for (const e of this.endpoints) {
      if (e.handleRequest === undefined) continue;
      if (e.ownsRequest !== undefined ? e.ownsRequest(req, pathname) : e.owns(pathname)) return e;
    }
    return undefined;
  }

  /** The endpoint that owns an upgrade for `pathname`, if any. */
  upgradeOwner(pathname: string): Endpoint | undefined {
    for (const e of this.endpoints) if (e.handleUpgrade !== undefined && e.owns(pathname)) return e;
    return undefined;
  }

  /** Installs our one `request` and one `upgrade` listener on `http`. */
  attach(http: HttpServer): void {
    this.http = http;
    http.on('request', this.onRequest);
    http.on('upgrade', this.onUpgrade);
  }

  /** Removes our listeners again (the server stays the application's). */
  detach(): void {
    this.http?.off('request', this.onRequest);
    this.http?.off('upgrade', this.onUpgrade);
    this.http = undefined;
  }

  /**
   * Serves the request when one of our endpoints owns it and returns true (also when the
   * listener already took it); false when it is not ours. For a framework's hook or middleware.
   */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    if (TAKEN.has(req)) return true;
    const endpoint = this.requestOwner(req, pathOf(req.url));
    if (endpoint === undefined) return false;
    this.serve(endpoint, req, res);
    return true;
  }

  /**
   * A Connect-style middleware (Express 4 and 5, Connect, Nest's Express adapter): serves our
   * paths and calls `next()` for every other one.
   */
  middleware(): (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void {
    return (req, res, next) => {
      if (!this.take(req, res)) next?.();
    };
  }

  /** Closes every endpoint; resolved once all of them are closed. */
  async close(): Promise<void> {
    await Promise.all(
      this.endpoints.map(async (e) => {
        try {
          await e.close();
        } catch (err) {
          this.logger.error({ err, endpoint: e.name }, 'Endpoint failed to close');
        }
      }),
    );
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (TAKEN.has(req)) return;
    const pathname = pathOf(req.url);
    const endpoint = this.requestOwner(req, pathname);
    const http = this.http;
    const alone = http === undefined || http.listenerCount('request') <= 1;
    if (endpoint === undefined) {
      if (alone && !res.headersSent) res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    if (alone) return this.serve(endpoint, req, res);
    // Another listener sees this request too. When it is a framework that hands our paths to
    // middleware(), it does so now or after its own asynchronous steps; ours waits one turn so
    // the framework's own bookkeeping (headers it sets on every response) comes first.
    setImmediate(() => {
      if (!TAKEN.has(req) && !res.headersSent && !res.writableEnded && !req.destroyed) this.serve(endpoint, req, res);
    });
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const endpoint = this.upgradeOwner(pathOf(req.url));
    if (endpoint === undefined) {
      // Not ours: leave it to the others. Node destroys an upgrade nobody listens for; when we
      // are the only listener, a 404 says more than a reset.
      const http = this.http;
      if (http === undefined || http.listenerCount('upgrade') <= 1) {
        socket.on('error', destroyOnError);
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    // Another listener before us answered it already (a `ws` server with a `path` aborts every other path's upgrade).
    if (socket.writableEnded || socket.destroyed) return;
    socket.on('error', destroyOnError);
    try {
      endpoint.handleUpgrade!(req, socket, head);
    } catch (err) {
      this.logger.error({ err, endpoint: endpoint.name }, 'Upgrade handling failed');
      socket.destroy();
    }
  };

  private serve(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): void {
    TAKEN.add(req);
    try {
      endpoint.handleRequest!(req, res);
    } catch (err) {
      this.logger.error({ err, endpoint: endpoint.name }, 'Request handling failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error');
      else res.destroy();
    }
  }
}

/**
 * An upgraded socket's error listener. A module function rather than a closure: a closure made
 * in the upgrade listener would share its scope with the closures there that read `req`, and
 * keep the whole request alive for as long as the socket lives.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** The URL path of a request, without its query. */
export function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
