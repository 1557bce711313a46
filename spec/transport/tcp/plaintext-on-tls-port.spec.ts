/**
 * Plaintext on the STOMP TLS port: a STOMP client or an HTTP client that forgot TLS gets an
 * answer it can read in its own protocol and a close, never a hang or a crash, and TLS clients
 * and other sessions go on. Real node:net and node:tls sockets against a real server.
 */
import { connect } from 'node:net';
import { closeClients, header, RawClient } from '../../helpers/clients';
import { closeServers, startServer, type Running } from '../../helpers/server';
import { selfSignedCertificate, type SelfSigned } from '../../helpers/tls';

let tls: SelfSigned;
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  tls = selfSignedCertificate();
  ({ key, cert } = tls);
});
afterAll(() => tls.remove());
afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** Writes `chunks` in turn on a plain TCP socket to `port`; resolves with all it read once the server closed it. */
function plainExchange(port: number, chunks: (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      for (const c of chunks) socket.write(c);
    });
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

async function tlsServer(connectTimeout?: number): Promise<{ running: Running; port: number }> {
  const running = await startServer({ tcp: { port: 0, host: '127.0.0.1', tls: { key, cert } }, ...(connectTimeout === undefined ? {} : { connectTimeout }) });
  return { running, port: running.server.tcpAddress!.port };
}

async function stillServesTls(port: number): Promise<void> {
  const c = await RawClient.open(`tcps://127.0.0.1:${port}`, undefined, { ca: cert });
  c.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
  expect((await c.next()).command).toBe('CONNECTED');
}

describe('plaintext on the STOMP TLS port', () => {
  it('answers a plaintext STOMP CONNECT with an unescaped ERROR STOMP_ERR_TLS_REQUIRED, then closes', async () => {
    const { running, port } = await tlsServer();
    const text = await plainExchange(port, ['CONNECT\naccept-version:1.2\nhost:/\n\n\0']);
    expect(text).toMatch(/^ERROR\n/);
    expect(text).toContain('\ncode:STOMP_ERR_TLS_REQUIRED\n');
    expect(text).toContain('\nmessage:This port speaks STOMP over TLS (stomp+ssl): connect with TLS');
    expect(text.endsWith('\0')).toBe(true);
    const body = text.slice(text.indexOf('\n\n') + 2, -1);
    expect(Buffer.byteLength(body)).toBe(Number(/content-length:(\d+)/.exec(text)![1]));
    expect(running.server.stats().sessions.total).toBe(0);
    await stillServesTls(port);
  });

  it('answers a plaintext HTTP request with 400 naming TLS, even when its request line comes a byte at a time', async () => {
    const { port } = await tlsServer();
    const text = await plainExchange(port, [...'GET / HTTP/1.1\r\nHost: x\r\n\r\n'].map((ch) => Buffer.from(ch)));
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('This port speaks STOMP over TLS');
    await stillServesTls(port);
  });

  it('closes a plaintext client that keeps sending after the answer, without reading its bytes into anything', async () => {
    const { port } = await tlsServer();
    const flood = Buffer.alloc(4 << 20, 'A'); // 4 MiB of garbage after a bogus first line
    const text = await plainExchange(port, ['SEND\ndestination:/topic/x\n\n', flood]);
    expect(text).toContain('code:STOMP_ERR_TLS_REQUIRED');
    await stillServesTls(port);
  });

  it('drops a socket that sends nothing after connectTimeout', async () => {
    const { port } = await tlsServer(300);
    const started = Date.now();
    const text = await plainExchange(port, []);
    expect(text).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
