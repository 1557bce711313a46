/**
 * A STOMP frame (or any unparsable request) on a keep-alive HTTP connection whose earlier
 * request is still being answered: the response goes out whole, and the 400 comes after it,
 * never in its place or in its middle. Real node:http server with the broker attached, raw sockets.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { StompServer } from '../../../broker';
import { silentLogger } from '../../../broker/logger';

let http: HttpServer | undefined;
let server: StompServer | undefined;
afterEach(async () => {
  await server?.close();
  await new Promise((resolve) => (http === undefined ? resolve(undefined) : http.close(resolve)));
  http = server = undefined;
});

/** An app whose handler answers `/slow` after 100 ms, `/stream` in two parts 100 ms apart, anything else at once. */
async function attached(): Promise<number> {
  http = createHttpServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow answer'), 100);
    else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part one, ');
      setTimeout(() => res.end('part two'), 100);
    } else res.end('app');
  });
  server = new StompServer({ logger: silentLogger });
  server.attach(http);
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return (http.address() as AddressInfo).port;
}

/** Writes each chunk after its delay; resolves with everything read once the server closed the socket. */
function exchange(port: number, chunks: [number, string][]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      for (const [delay, data] of chunks) setTimeout(() => socket.write(data), delay);
    });
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

const STOMP_400 = /HTTP\/1\.1 400 Bad Request\r\n[^]*STOMP over TCP is not enabled on this server\.\n$/;

describe('a 400 on a keep-alive connection with a response in flight', () => {
  it('comes after a pipelined request\'s response, which is not replaced', async () => {
    const port = await attached();
    const text = await exchange(port, [[0, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nCONNECT\naccept-version:1.2\n\n\0']]);
    // One packet holds both requests, so Node's parser reports it whole: the 400 is Node's own, not the STOMP one.
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nslow answerHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
  });

  it('comes after a response whose head already went out, which is not cut', async () => {
    const port = await attached();
    const text = await exchange(port, [[0, 'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n'], [40, 'CONNECT\naccept-version:1.2\n\n\0']]);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*part one, \r\n[^]*part two\r\n0\r\n\r\nHTTP\/1\.1 400 Bad Request\r\n/);
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(2);
    expect(text).toMatch(STOMP_400);
  });

  it('comes at once after a finished response on the same keep-alive connection', async () => {
    const port = await attached();
    const text = await exchange(port, [[0, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'], [40, 'STOMP\naccept-version:1.2\n\n\0']]);
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nappHTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toMatch(STOMP_400);
  });
});
