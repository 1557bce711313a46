import { StompServer } from '../../broker';
import { announce, requestedPort } from './peer-host';

/**
 * stompbox as a user would run it: plain WebSocket at `/ws`, SockJS at `/sock` (which also
 * serves plain WebSocket at `/sock` and `/sock/websocket`), broker prefixes `/topic` and
 * `/queue`, heart-beats offered at 10 s (the idle scenario negotiates them; clients that
 * offer `0,0` get none).
 */
async function main(): Promise<void> {
  const server = new StompServer({
    endpoints: ['/sock'],
    websocketEndpoints: ['/ws'],
    brokerPrefixes: ['/topic', '/queue'],
    heartbeat: [10000, 10000],
  });
  const { port } = await server.listen(requestedPort(), '127.0.0.1');
  announce('stompbox', port);
  // Exit normally on SIGTERM so `node --cpu-prof` writes its profile.
  process.once('SIGTERM', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`stompbox peer: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
