import { StompServer } from '../../broker';
import { announce, requestedPort } from './peer-host';
import { requestedFeatures, type Capability, type PeerEndpoints } from './peer-ready';

/**
 * stompbox as a user would run it: plain WebSocket at `/ws`, SockJS at `/sock` (which also
 * serves plain WebSocket at `/sock` and `/sock/websocket`), broker prefixes `/topic` and
 * `/queue`, heart-beats offered at 10 s (the idle scenario negotiates them; clients that
 * offer `0,0` get none). The features a run asks for (argv[3], see stompbox-features.ts) are
 * switched on and checked on the wire; the announcement lists those that work and why the
 * others are pending.
 */
const ALWAYS: Capability[] = ['topic-ws', 'sockjs', 'idle'];
const BASE = { endpoints: ['/sock'], websocketEndpoints: ['/ws'], brokerPrefixes: ['/topic', '/queue'], heartbeat: [10000, 10000] as [number, number] };

async function main(): Promise<void> {
  const features = requestedFeatures().filter((f) => !ALWAYS.includes(f));
  // Loaded only when a run asks for a feature, so the process S1–S7 measure is what it was.
  const setup = features.length === 0 ? undefined : await import('./stompbox-features');
  const { options, endpoints }: { options: Record<string, unknown>; endpoints: PeerEndpoints } =
    setup === undefined ? { options: {}, endpoints: { wsPath: '/ws', sockjsPrefix: '/sock' } } : await setup.optionsFor(features);
  let server: StompServer;
  let refused: string | undefined;
  try {
    server = new StompServer({ ...BASE, ...options } as ConstructorParameters<typeof StompServer>[0]);
  } catch (err) {
    // Options the broker validates and refuses: start without them, and say so for each feature.
    refused = `StompServer refused the options ${JSON.stringify(options)}: ${err instanceof Error ? err.message : String(err)}`;
    server = new StompServer(BASE);
  }
  const { port } = await server.listen(requestedPort(), '127.0.0.1');
  const pending: Partial<Record<Capability, string>> =
    setup === undefined ? {} : refused === undefined ? await setup.checkFeatures(features, port, endpoints) : Object.fromEntries(features.map((f) => [f, refused]));
  announce('stompbox', port, {
    supports: [...ALWAYS, ...features.filter((f) => pending[f] === undefined)],
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
