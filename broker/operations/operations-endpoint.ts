import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint } from '../transport/endpoint';
import type { Operations } from './operations';

/** Where the operations routes are served; undefined: that route is off. */
export interface OperationsPaths {
  readonly health: string | undefined;
  /** Served only when the `metrics` option is on as well. */
  readonly metrics: string | undefined;
}

/**
 * The health check and the Prometheus metrics as one endpoint. On a server of our own
 * (`listen()`) both paths are on by default; on an application's server (`attach()`) only the
 * ones set explicitly, so the app's own `/health` stays its own.
 */
export class OperationsEndpoint implements Endpoint {
  readonly name = 'operations';

  /** Both routes off until the server knows whose HTTP server it serves on. */
  paths: OperationsPaths = { health: undefined, metrics: undefined };

  constructor(private readonly operations: Operations) {}

  owns(pathname: string): boolean {
    return pathname === this.paths.health || (pathname === this.paths.metrics && this.operations.metrics !== undefined);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const q = (req.url ?? '/').indexOf('?');
    const pathname = q === -1 ? (req.url ?? '/') : req.url!.slice(0, q);
    if (pathname === this.paths.health) this.operations.serveHealth(res);
    else this.operations.serveMetrics(res);
  }

  close(): void {}
}
