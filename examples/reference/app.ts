import { existsSync } from 'node:fs';
import path from 'node:path';
import { StompServer, type Logger } from '../../broker';
import { SubController } from './sub-controller';

/** Settings of the reference app; the defaults are the original's (20 messages, one per second). */
export interface ReferenceAppOptions {
  /** Milliseconds between two pushed messages. @defaultValue 1000 */
  interval?: number;
  /** Messages pushed per request. @defaultValue 20 */
  count?: number;
  logger?: Logger;
  /** The prefix a reverse proxy serves the app under (see the `publicBasePath` option). @defaultValue `''` */
  publicBasePath?: string;
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
    publicBasePath: opts.publicBasePath,
  });

  // The Spring original's SubController, registered like a @Controller bean.
  const controller = new SubController(server.template, { interval, count });
  server.register(controller);

  const close = server.close.bind(server);
  server.close = () => {
    controller.stop();
    return close();
  };
  return server;
}

/** The pages folder: beside this file when run from source, in the source tree when run from dist/. */
function publicDir(): string {
  const here = path.join(__dirname, 'public');
  return existsSync(here) ? here : path.resolve(__dirname, '../../../examples/reference/public');
}
