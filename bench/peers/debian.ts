import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { connectFrame, type ExtraHeaders } from '../loadgen/stomp-frames';

/**
 * Installing what a peer needs from Debian's archive, and checking that a STOMP port answers.
 * Installing needs root (the benchmark machines run as root); without it the peer reports
 * itself unavailable with the command to run.
 */

/** True when `cmd` can be run (found on PATH). */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** `apt-get install -y --no-install-recommends <packages>`, with an `apt-get update` first if that fails. */
export function aptInstall(packages: string[]): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: `not root: install with \`apt-get install ${packages.join(' ')}\`` };
  if (!hasCommand('apt-get')) return { ok: false, reason: 'no apt-get on this machine' };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): ReturnType<typeof spawnSync> =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env, encoding: 'utf8', timeout: 900_000 });
  process.stderr.write(`bench: installing ${packages.join(' ')} with apt-get\n`);
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { env, stdio: 'ignore', timeout: 300_000 });
    r = install();
  }
  if (r.status !== 0) return { ok: false, reason: `apt-get install ${packages.join(' ')} failed: ${String(r.stderr).trim().split('\n').pop()}` };
  return { ok: true };
}

/** Resolves true when a STOMP CONNECT on `port` is answered with CONNECTED within `ms`. */
export function stompAnswers(port: number, headers: ExtraHeaders | undefined, ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once('connect', () => socket.write(connectFrame('0,0', headers)));
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\0')) done(got.startsWith('CONNECTED'));
    });
    socket.once('error', () => done(false));
  });
}

/** Polls {@link stompAnswers} until it holds or `ms` passed. */
export async function waitForStomp(port: number, headers: ExtraHeaders | undefined, ms: number, alive: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive()) {
    if (await stompAnswers(port, headers, 2000)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
