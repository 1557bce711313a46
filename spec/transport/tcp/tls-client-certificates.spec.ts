/**
 * STOMP over TLS with client certificates: `tcp.tls.requestCert` asks each client for one, and
 * `authenticate` sees it as `request.clientCertificate` (with whether it chains to `tcp.tls.ca`),
 * so an application authorizes by certificate. Real openssl certificates, real node:tls sockets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthenticateRequest } from '../../../broker';
import { closeClients, header, RawClient } from '../../helpers/clients';
import { closeServers, startServer } from '../../helpers/server';

const TCP = { port: 0, host: '127.0.0.1' } as const;

let dir: string;
const pem: Record<string, Buffer> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A key and a certificate for `cn`, signed by the CA `signer` (or self-signed). */
function issue(name: string, cn: string, signer?: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}/O=stompbox-spec`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`);
  if (signer === undefined) {
    writeFileSync(join(dir, `${name}.ext`), 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n');
    openssl('x509', '-req', '-in', `${name}.csr`, '-signkey', `${name}-key.pem`, '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  } else {
    writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}-key.pem`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  }
  pem[name] = readFileSync(join(dir, `${name}.pem`));
  pem[`${name}-key`] = readFileSync(join(dir, `${name}-key.pem`));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stompbox-mtls-'));
  issue('ca', 'stompbox spec CA');
  issue('server', 'localhost', 'ca');
  issue('alice', 'alice', 'ca');
  issue('rogue-ca', 'rogue CA');
  issue('mallory', 'mallory', 'rogue-ca');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** A server asking for client certificates; `authenticate` records what it was given and admits authorized certificates by CN. */
async function mtlsServer(rejectUnauthorized: boolean): Promise<{ url: string; seen: AuthenticateRequest[] }> {
  const seen: AuthenticateRequest[] = [];
  const running = await startServer({
    tcp: { ...TCP, tls: { key: pem['server-key'], cert: pem.server, ca: pem.ca, requestCert: true, rejectUnauthorized } },
    authenticate: (req) => {
      seen.push(req);
      const c = req.request.clientCertificate;
      if (c === undefined || !c.authorized) return false;
      return String(c.certificate.subject.CN);
    },
  });
  return { url: `tcps://127.0.0.1:${running.server.tcpAddress!.port}`, seen };
}

async function connectWith(url: string, client: string | undefined): Promise<RawClient> {
  const tls = client === undefined ? { ca: pem.ca } : { ca: pem.ca, key: pem[`${client}-key`], cert: pem[client] };
  const c = await RawClient.open(url, undefined, tls as { ca: Buffer });
  c.send('CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0');
  return c;
}

describe('STOMP over TLS with client certificates', () => {
  it('hands the certificate to authenticate, which names the principal by it', async () => {
    const { url, seen } = await mtlsServer(true);
    const c = await connectWith(url, 'alice');
    const reply = await c.next();
    expect(reply.command).toBe('CONNECTED');
    expect(header(reply, 'user-name')).toBe('alice');
    const cert = seen[0].request.clientCertificate!;
    expect(cert.authorized).toBe(true);
    expect(cert.authorizationError).toBeUndefined();
    expect(cert.certificate.subject.O).toBe('stompbox-spec');
    expect(cert.certificate.issuer.CN).toBe('stompbox spec CA');
    expect(cert.certificate.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(seen[0].request.url).toBe('tcp+tls://');
  });

  it('under rejectUnauthorized: false, shows an untrusted certificate as unauthorized with the reason, and authenticate refuses it', async () => {
    const { url, seen } = await mtlsServer(false);
    const c = await connectWith(url, 'mallory');
    const reply = await c.next();
    expect(reply.command).toBe('ERROR');
    expect(header(reply, 'code')).toBe('STOMP_ERR_UNAUTHORIZED');
    const cert = seen[0].request.clientCertificate!;
    expect(cert.certificate.subject.CN).toBe('mallory');
    expect(cert.authorized).toBe(false);
    expect(cert.authorizationError).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|unable to verify/i);
  });

  it('gives no certificate when the client presents none', async () => {
    const { url, seen } = await mtlsServer(false);
    const anonymous = await connectWith(url, undefined);
    expect((await anonymous.next()).command).toBe('ERROR');
    expect(seen[0].request.clientCertificate).toBeUndefined();
  });

  it('under rejectUnauthorized (the default), lets node drop an untrusted certificate before any session', async () => {
    const strict = await mtlsServer(true);
    // TLS 1.3: the client's side of the handshake completes first; the server then refuses the certificate and closes.
    const c = await connectWith(strict.url, 'mallory').catch(() => undefined);
    if (c !== undefined) {
      await c.closed;
      expect(c.frames).toHaveLength(0);
    }
    expect(strict.seen).toHaveLength(0);
  });

  it('leaves plain TCP and TLS without requestCert with no clientCertificate', async () => {
    const seen: AuthenticateRequest[] = [];
    const running = await startServer({ tcp: { ...TCP, tls: { key: pem['server-key'], cert: pem.server } }, authenticate: (req) => void seen.push(req) });
    const c = await connectWith(`tcps://127.0.0.1:${running.server.tcpAddress!.port}`, 'alice');
    expect((await c.next()).command).toBe('CONNECTED');
    expect(seen[0].request.clientCertificate).toBeUndefined();
  });
});
