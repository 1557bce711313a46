import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, requestedPort } from './peer-host';

/**
 * stomp-broker-js 1.3, the only other STOMP broker for Node, as its README starts it: an
 * http server and `new StompServer({ server, path })`. Heart-beats are offered at 10 s so the
 * idle scenario negotiates them; scenarios whose clients offer `0,0` get none.
 */
// The package ships no types; its constructor takes a config object.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const StompBrokerJs = require('stomp-broker-js') as new (config: object) => unknown;

const server = createServer();
new StompBrokerJs({ server, path: '/ws', heartbeat: [10000, 10000] });
server.listen(requestedPort(), '127.0.0.1', () => {
  announce('stomp-broker-js', (server.address() as AddressInfo).port);
});
