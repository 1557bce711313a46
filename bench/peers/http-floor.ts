import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, requestedPort } from './peer-host';

/**
 * The floor of HTTP publishing: a bare `node:http` server that reads each request's body and
 * answers 202 with no body, keep-alive as Node does by default. Whatever stompbox's
 * `POST /publish` costs on top (authentication, routing, delivery) shows against it.
 */
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.statusCode = 202;
    res.setHeader('content-length', 0);
    res.end();
  });
});
server.listen(requestedPort(), '127.0.0.1', () => {
  announce('http-floor', (server.address() as AddressInfo).port, { supports: ['http-publish'], endpoints: { publishPath: '/publish' } });
});
