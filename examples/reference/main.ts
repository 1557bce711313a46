import { createReferenceApp } from './app';

/** `npm start`: the reference app on PORT (default 6032), bound to HOST (default: every interface). */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 6032);
  const app = createReferenceApp();
  const address = await app.listen(port, process.env.HOST || undefined);
  process.stdout.write(
    `stompbox reference app on http://localhost:${address.port}\n` +
      `  topic demo: http://localhost:${address.port}/topic.html\n` +
      `  queue demo: http://localhost:${address.port}/queue.html\n`,
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
