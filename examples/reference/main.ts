import { createReferenceApp, referenceStore } from './app';

/**
 * `npm start`: the reference app on PORT (default 6032), bound to HOST (default: every
 * interface), under the proxy prefix STOMPBOX_BASE_PATH (default none), with STOMP over TCP on
 * TCP_PORT (default 61613, STOMP's port; `off`: none), HTTP publish on when PUBLISH_TOKEN
 * is set, and the durable store in the SQLite file STORE (default: memory, nothing survives a
 * restart). A TCP port already taken (61613 is RabbitMQ's and ActiveMQ's too) is logged once,
 * the banner says STOMP over TCP is off and why, and the HTTP side still serves.
 */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 6032);
  const host = process.env.HOST || undefined;
  const tcpPort = process.env.TCP_PORT ?? '61613';
  const tcp = tcpPort === 'off' ? undefined : { port: Number(tcpPort), host };
  const app = createReferenceApp({ publicBasePath: process.env.STOMPBOX_BASE_PATH || undefined, tcp, publishToken: process.env.PUBLISH_TOKEN || undefined, store: referenceStore(process.env.STORE) });
  const address = await app.listen(port, host);
  const base = `http://localhost:${address.port}${app.options.publicBasePath}`;
  const tcpAddress = app.tcpAddress;
  process.stdout.write(
    `stompbox reference app on ${base}/\n  topic demo: ${base}/topic.html\n  queue demo: ${base}/queue.html\n  SSE demo: ${base}/sse.html\n` +
      (tcp === undefined ? '' : tcpAddress !== undefined ? `  STOMP over TCP: localhost:${tcpAddress.port}\n` : `  STOMP over TCP: off, port ${tcp.port} could not be bound (another STOMP broker?); set TCP_PORT to another port, 0 for any, or off\n`),
  );
  const stop = (): void => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`stompbox: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
