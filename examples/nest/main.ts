import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

/**
 * The NestJS example: `npx tsc -p examples/nest/tsconfig.json && node dist/examples-nest/examples/nest/main.js`
 * (env PORT, default 3000; 0 picks a free port). SIGTERM closes the app, and stompbox sends
 * its sessions an ERROR before the HTTP server stops.
 */
async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.stdout.write(`nest example on http://127.0.0.1:${address.port} (STOMP at /ws, HTTP at /hello)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`nest example: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
