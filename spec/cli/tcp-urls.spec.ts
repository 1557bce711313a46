/**
 * `stompbox sub` and `pub` over STOMP over TCP and TLS: tcp://, stomp://, tls:// and
 * stomp+ssl:// URLs reach a server's TCP listener (or any STOMP broker's own port), with
 * --ca for a private CA and --cert/--key for a client certificate. Real CLI processes, a real
 * server, real openssl certificates.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { AuthenticateRequest } from '../../broker';
import { randomBytes } from 'node:crypto';
import { describeWith } from '../cluster/services';
import { closeServers, startServer } from '../helpers/server';
import { selfSignedCertificate, type SelfSigned } from '../helpers/tls';
import { buildCli, killCliProcesses, removeCli, runCli, runToExit } from './support';

let tls: SelfSigned;
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  buildCli();
  // One self-signed certificate for 127.0.0.1 serves as the server's, the CA the CLI trusts, and the client certificate the server trusts.
  tls = selfSignedCertificate('stompbox-cli');
  ({ key, cert } = tls);
});
afterAll(() => {
  removeCli();
  tls.remove();
});
afterEach(async () => {
  await killCliProcesses();
  await closeServers();
});

async function roundTrip(url: string, extra: string[] = []): Promise<void> {
  const sub = runCli(['sub', url, '/topic/cli-tcp', '-n', '1', ...extra]);
  await sub.waitFor('stderr', /subscribed to \/topic\/cli-tcp via tcp/);
  const pub = await runToExit(['pub', url, '/topic/cli-tcp', 'over a stream', ...extra]);
  expect(pub).toMatchObject({ code: 0 });
  expect(await sub.exited).toBe(0);
  expect(sub.stdout).toBe('over a stream\n');
}

describe('stompbox sub and pub with tcp:// URLs', () => {
  it('round-trip a message over STOMP over TCP (tcp:// and stomp://)', async () => {
    const running = await startServer({ tcp: { port: 0, host: '127.0.0.1' } });
    const port = running.server.tcpAddress!.port;
    await roundTrip(`tcp://127.0.0.1:${port}`);
    await roundTrip(`stomp://127.0.0.1:${port}`);
    expect(running.server.stats().frames.in.SEND).toBe(2);
  });

  it('round-trip over TLS (tls:// and stomp+ssl://), trusting the server through --ca', async () => {
    const running = await startServer({ tcp: { port: 0, host: '127.0.0.1', tls: { key, cert } } });
    const port = running.server.tcpAddress!.port;
    await roundTrip(`tls://127.0.0.1:${port}`, ['--ca', tls.certFile]);
    await roundTrip(`stomp+ssl://localhost:${port}`, ['--ca', tls.certFile]);
    const untrusted = await runToExit(['pub', `tls://127.0.0.1:${port}`, '/topic/x', 'hi']);
    expect(untrusted.code).toBe(4);
    expect(untrusted.stderr).toMatch(/self[- ]signed/i);
  });

  it('presents a client certificate with --cert and --key, which authenticate sees', async () => {
    const seen: AuthenticateRequest[] = [];
    const running = await startServer({
      tcp: { port: 0, host: '127.0.0.1', tls: { key, cert, ca: cert, requestCert: true } },
      authenticate: (req) => {
        seen.push(req);
        return req.request.clientCertificate?.authorized ? String(req.request.clientCertificate.certificate.subject.CN) : false;
      },
    });
    const url = `tls://127.0.0.1:${running.server.tcpAddress!.port}`;
    const pub = await runToExit(['pub', url, '/topic/x', 'signed', '--ca', tls.certFile, '--cert', tls.certFile, '--key', tls.keyFile]);
    expect(pub).toMatchObject({ code: 0 });
    expect(seen.map((r) => r.request.clientCertificate?.certificate.subject.CN)).toEqual(['stompbox-cli']);
    const without = await runToExit(['pub', url, '/topic/x', 'anonymous', '--ca', tls.certFile]);
    expect(without.code).not.toBe(0);
  });

  it('exits 2 for flags that do not fit the URL', async () => {
    const transport = await runToExit(['pub', 'tcp://127.0.0.1:1', '/topic/x', 'hi', '--transport', 'websocket']);
    expect(transport.code).toBe(2);
    expect(transport.stderr).toContain('--transport does not apply to tcp:// URLs');
    const ca = await runToExit(['pub', 'tcp://127.0.0.1:1', '/topic/x', 'hi', '--ca', tls.certFile]);
    expect(ca.code).toBe(2);
    expect(ca.stderr).toContain('--ca, --cert and --key go with tls://');
  });

  it('lets `serve` start with a taken --tcp-port, its banner saying STOMP over TCP is off', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    try {
      const serve = runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--tcp-port', String(taken)], { env: { STOMPBOX_LOG_LEVEL: 'warn' } });
      const [, port] = await serve.waitFor('stdout', /listening on http:\/\/127\.0\.0\.1:(\d+)[^]*broker prefixes/);
      expect(serve.stdout).toContain(`STOMP over TCP: off, port ${taken} could not be bound`);
      expect(serve.stderr).toContain(`port ${taken} is already in use`);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      squatter.close();
    }
  });

  it('exits 4 naming the address when nothing listens', async () => {
    const { code, stderr } = await runToExit(['pub', 'tcp://127.0.0.1:1', '/topic/x', 'hi']);
    expect(code).toBe(4);
    expect(stderr).toMatch(/tcp:\/\/127\.0\.0\.1:1 could not connect: .*ECONNREFUSED/);
  });
});

const describeRabbit = describeWith('RabbitMQ STOMP', 61613, 'install rabbitmq-server and run: rabbitmq-plugins enable rabbitmq_stomp');

describeRabbit('stompbox sub and pub against another STOMP broker\'s own port (RabbitMQ)', () => {
  it('round-trip through RabbitMQ on tcp://127.0.0.1:61613 (no stompbox error queue asked for)', async () => {
    const topic = `/topic/stompbox.cli.${randomBytes(4).toString('hex')}`;
    const credentials = ['--login', 'guest', '--passcode', 'guest'];
    const sub = runCli(['sub', 'tcp://127.0.0.1:61613', topic, '-n', '1', ...credentials]);
    await sub.waitFor('stderr', /subscribed to .* via tcp/);
    expect(await runToExit(['pub', 'tcp://127.0.0.1:61613', topic, 'through rabbit', ...credentials])).toMatchObject({ code: 0 });
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('through rabbit\n');
  });
});
