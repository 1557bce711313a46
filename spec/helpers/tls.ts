/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made by openssl in a
 * temporary folder: the server's key and certificate, and the CA a client trusts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSigned {
  readonly dir: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Deletes the folder. */
  remove(): void;
}

/** Makes a one-day RSA certificate for `commonName` with subjectAltName localhost and 127.0.0.1. */
export function selfSignedCertificate(commonName = 'localhost'): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'stompbox-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${commonName}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { dir, keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
