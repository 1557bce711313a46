import { StompServer } from '../../broker';
import { announce, requestedPort } from './peer-host';
import { requestedFeatures, type Capability } from './peer-ready';
import { checkFeatures, optionsFor } from './stompbox-features';

/**
 * stompbox as a user would run it: plain WebSocket at `/ws`, SockJS at `/sock` (which also
 * serves plain WebSocket at `/sock` and `/sock/websocket`), broker prefixes `/topic` and
 * `/queue`, heart-beats offered at 10 s (the idle scenario negotiates them; clients that
 * offer `0,0` get none). The features a run asks for (argv[3], see stompbox-features.ts) are
 * switched on and checked on the wire; the announcement lists those that work and why the
 * others are pending.
 */
async function main(): Promise<void> {
  const features = requestedFeatures();
  const { options, endpoints } = await optionsFor(features);
  const base = { endpoints: ['/sock'], websocketEndpoints: ['/ws'], brokerPrefixes: ['/topic', '/queue'], heartbeat: [10000, 10000] as [number, number] };
  let server: StompServer;
  let refused: string | undefined;
  try {
    server = new StompServer({ ...base, ...options } as ConstructorParameters<typeof StompServer>[0]);
  } catch (err) {
    // Options the broker validates and refuses: start without them, and say so for each feature.
    refused = `StompServer refused the options ${JSON.stringify(options)}: ${err instanceof Error ? err.message : String(err)}`;
    server = new StompServer(base);
  }
  const { port } = await server.listen(requestedPort(), '127.0.0.1');
  const pending = refused === undefined ? await checkFeatures(features, port, endpoints) : Object.fromEntries(features.map((f) => [f, refused]));
  const always: Capability[] = ['topic-ws', 'sockjs', 'idle'];
  announce('stompbox', port, {
    supports: [...always, ...features.filter((f) => !always.includes(f) && pending[f] === undefined)],
    pending,
    endpoints,
    connect: {},
    queue: { prefetchHeader: 'prefetch-count', subscribeHeaders: {}, sendHeaders: {} },
  });
  // Exit normally on SIGTERM so `node --cpu-prof` writes its profile.
  process.once('SIGTERM', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`stompbox peer: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
