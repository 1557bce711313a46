/**
 * Test servers: a StompServer or the reference app listening on 127.0.0.1, port 0. Every
 * server started here is remembered and closed by `closeServers()` (call it in afterEach).
 */
import { createReferenceApp, type ReferenceAppOptions } from '../../examples/reference/app';
import { StompServer, type StompServerConfig } from '../../broker';

/** A server under test and where to reach it. */
export interface Running {
  readonly server: StompServer;
  readonly port: number;
  /** `ws://127.0.0.1:<port><path>` */
  ws(path: string): string;
  /** `http://127.0.0.1:<port><path>` */
  http(path: string): string;
}

const running = new Set<StompServer>();

async function listen(server: StompServer): Promise<Running> {
  running.add(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    server,
    port,
    ws: (path) => `ws://127.0.0.1:${port}${path}`,
    http: (path) => `http://127.0.0.1:${port}${path}`,
  };
}

/** Starts a StompServer (endpoint `/stomp` unless configured) on a free port. */
export function startServer(config: StompServerConfig = {}): Promise<Running> {
  return listen(new StompServer(config));
}

/** Starts the reference app (endpoints `/webServer`, `/queueServer`) on a free port. */
export function startReferenceApp(options: ReferenceAppOptions = {}): Promise<Running> {
  return listen(createReferenceApp(options));
}

/** Closes every server started by this module. */
export async function closeServers(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.close()));
}
