import { createChatApp } from './app';

/** `node dist/examples/chat/main.js`: the chat example on PORT (default 6033). */
async function main(): Promise<void> {
  const app = createChatApp();
  const address = await app.listen(Number(process.env.PORT ?? 6033));
  process.stdout.write(`stompbox chat example: SockJS/WebSocket endpoint http://localhost:${address.port}/chat\n`);
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`chat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
