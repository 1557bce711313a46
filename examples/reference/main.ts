import { createReferenceApp } from './app';

/**
 * `npm start`: the reference app on PORT (default 6032), bound to HOST (default: every
 * interface), under the proxy prefix STOMPBOX_BASE_PATH (default none); HTTP publish on when
 * PUBLISH_TOKEN is set.
 */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 6032);
  const app = createReferenceApp({ publicBasePath: process.env.STOMPBOX_BASE_PATH || undefined, publishToken: process.env.PUBLISH_TOKEN || undefined });
  const address = await app.listen(port, process.env.HOST || undefined);
  const base = `http://localhost:${address.port}${app.options.publicBasePath}`;
  process.stdout.write(`stompbox reference app on ${base}/\n  topic demo: ${base}/topic.html\n  queue demo: ${base}/queue.html\n  SSE demo: ${base}/sse.html\n`);
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
