import { existsSync } from 'node:fs';
import path from 'node:path';
import { StompServer, type Logger } from '../../broker';

/** Settings of the reference app; the defaults are the original's (20 messages, one per second). */
export interface ReferenceAppOptions {
  /** Milliseconds between two pushed messages. @defaultValue 1000 */
  interval?: number;
  /** Messages pushed per request. @defaultValue 20 */
  count?: number;
  logger?: Logger;
}

/**
 * The reference app: the Node port of the classic Spring demo. Two SockJS endpoints,
 * `/webServer` (topic.html) and `/queueServer` (queue.html); broker prefixes `/topic` and
 * `/user`; no application prefix, so clients SEND straight to `/subscribe` and `/queue`.
 */
export function createReferenceApp(opts: ReferenceAppOptions = {}): StompServer {
  const interval = opts.interval ?? 1000;
  const count = opts.count ?? 20;
  const server = new StompServer({
    endpoints: ['/webServer', '/queueServer'],
    brokerPrefixes: ['/topic', '/user'],
    applicationPrefixes: [],
    userDestinationPrefix: '/user',
    staticDir: publicDir(),
    logger: opts.logger,
  });

  const timers = new Set<ReturnType<typeof setInterval>>();
  /** Calls `send` `count` times, one every `interval` ms, starting now. */
  const repeat = (send: () => void): void => {
    let sent = 0;
    const tick = (): void => {
      send();
      if (++sent >= count) {
        clearInterval(timer);
        timers.delete(timer);
      }
    };
    const timer = setInterval(tick, interval);
    timers.add(timer);
    tick();
  };

  // @MessageMapping("/subscribe"): broadcast to every subscriber of /topic/getResponse.
  server.onMessage<{ name?: unknown }>('/subscribe', (payload) => {
    const name = nameOf(payload);
    repeat(() => void server.template.convertAndSend('/topic/getResponse', `${name}-${Date.now()}`));
  });

  // @MessageMapping("/queue"): point-to-point to user zhangsan at /message (/user/zhangsan/message).
  server.onMessage<{ name?: unknown }>('/queue', (payload) => {
    const name = nameOf(payload);
    repeat(() => void server.template.convertAndSendToUser('zhangsan', '/message', name));
  });

  const close = server.close.bind(server);
  server.close = () => {
    for (const t of timers) clearInterval(t);
    timers.clear();
    return close();
  };
  return server;
}

function nameOf(payload: { name?: unknown } | string | undefined): string {
  if (payload !== null && typeof payload === 'object' && payload.name !== undefined) return String(payload.name);
  return typeof payload === 'string' ? payload : '';
}

/** The pages folder: beside this file when run from source, in the source tree when run from dist/. */
function publicDir(): string {
  const here = path.join(__dirname, 'public');
  return existsSync(here) ? here : path.resolve(__dirname, '../../../examples/reference/public');
}
