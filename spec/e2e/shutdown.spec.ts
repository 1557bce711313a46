/**
 * Graceful shutdown on real servers: `close()` stops accepting (HTTP 503 for handshakes and
 * `/health`, ERROR for new SockJS sessions), sends every session ERROR "Server is shutting
 * down", waits for writes to drain up to `shutdownTimeout`, and leaves nothing behind. The
 * reference app, run as a child process, exits 0 on SIGTERM and SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { buildSync } from 'esbuild';
import { DEFAULTS } from '../../broker';
import { closeClients, header, RawClient, stompClient, type Transport } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { flood, sessionOf } from '../hardening/helpers';
import { waitUntil } from '../helpers/sockjs';

const ROOT = join(__dirname, '..', '..');
const paused: Socket[] = [];
const children = new Set<ChildProcess>();
let bundleDir: string | undefined;

afterEach(async () => {
  for (const socket of paused.splice(0)) socket.destroy();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
  await closeClients();
  await closeServers();
});

afterAll(() => {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
});

describe('server.close()', () => {
  it('waits 5 s for sessions to drain by default', () => {
    expect(DEFAULTS.shutdownTimeout).toBe(5000);
  });

  it('sends every session ERROR "Server is shutting down" and closes it, then resolves with nothing left', async () => {
    const running = await startServer({ heartbeat: [1000, 1000] });
    const a = await RawClient.connected(running.ws('/stomp'), { 'heart-beat': '1000,1000' });
    const b = await RawClient.connected(running.ws('/stomp'));
    b.send('SUBSCRIBE\nid:0\ndestination:/topic/x\nreceipt:r\n\n\0');
    await b.nextCommand('RECEIPT');
    await running.server.close();
    for (const client of [a, b]) {
      const error = await client.nextCommand('ERROR');
      expect(header(error, 'code')).toBe('STOMP_ERR_SERVER_SHUTDOWN');
      expect(header(error, 'message')).toBe('Server is shutting down');
      expect(error.body.toString()).not.toMatch(/\bat .*\(/); // no stack trace
      await client.closed;
    }
    const stats = running.server.stats();
    expect(stats.sessions.open).toBe(0);
    expect(stats.sessions.closed['server-shutdown']).toBe(2);
    expect(running.server.heartbeats.size).toBe(0);
    expect(running.server.flow.active).toBe(false);
    expect(running.server.httpServer!.listening).toBe(false);
  });

  it('refuses handshakes with 503 and answers /health with 503 while it drains', async () => {
    const running = await startServer({ shutdownTimeout: 2000 });
    const health = await fetch(running.http('/health'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', sessions: 0 });
    const slow = await RawClient.connected(running.ws('/stomp'));
    slow.send('SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r\n\n\0');
    await slow.nextCommand('RECEIPT');
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    paused.push(socket);
    await flood(running.server, sessionOf(running.server, slow), '/topic/flood', 400, 4096); // it cannot drain now
    const closing = running.server.close();
    const during = await fetch(running.http('/health'));
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ status: 'shutting-down' });
    const refused = await RawClient.open(running.ws('/stomp')).then(
      () => 0,
      (err: Error) => Number(/(\d{3})/.exec(err.message)?.[1]),
    );
    expect(refused).toBe(503);
    socket.resume(); // now it reads everything, then the ERROR
    await closing;
    const error = await slow.nextCommand('ERROR', 10000);
    expect(header(error, 'code')).toBe('STOMP_ERR_SERVER_SHUTDOWN');
  });

  it('drops sessions that cannot drain once shutdownTimeout passes', async () => {
    const running = await startServer({ shutdownTimeout: 200, sendTimeLimit: 60000 });
    const slow = await RawClient.connected(running.ws('/stomp'));
    slow.send('SUBSCRIBE\nid:0\ndestination:/topic/flood\nreceipt:r\n\n\0');
    await slow.nextCommand('RECEIPT');
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    paused.push(socket);
    const session = sessionOf(running.server, slow);
    for (let i = 0; i < 100 && session.connection.bufferedAmount === 0; i++) await flood(running.server, session, '/topic/flood', 64, 4096);
    expect(session.connection.bufferedAmount).toBeGreaterThan(0);
    const started = Date.now();
    await running.server.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(running.server.stats().sessions.open).toBe(0);
    expect(session.state).toBe('closed');
  });

  it('sends ERROR to a SockJS session too, and refuses new SockJS sessions while closing', async () => {
    const running = await startServer({ shutdownTimeout: 500 });
    const base = running.http('/stomp/000/shut1');
    const poll = async (url = base): Promise<string> => (await fetch(`${url}/xhr`, { method: 'POST' })).text();
    expect(await poll()).toBe('o\n');
    await fetch(`${base}/xhr_send`, { method: 'POST', body: JSON.stringify(['CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\0']) });
    expect(await poll()).toContain('CONNECTED');
    const closing = running.server.close();
    // The late session comes while shut1 still holds its ERROR, so the server is still draining
    // (close() returns as soon as every session drained).
    const late = running.http('/stomp/000/shut2');
    expect(await poll(late)).toBe('o\n');
    expect(await poll(late)).toContain('STOMP_ERR_SERVER_SHUTDOWN');
    const reply = await poll();
    expect(reply).toContain('ERROR');
    expect(reply).toContain('code:STOMP_ERR_SERVER_SHUTDOWN');
    await closing;
    expect(running.server.stats().sessions.open).toBe(0);
  });
});

describe('server.close() with SockJS sessions', () => {
  // sockjs-node kept every HTTP session for its 5 s disconnect delay, so close() took 5 s once
  // any SockJS client had connected; now it returns once each session's close frame left.
  it.each<Transport>(['sockjs-websocket', 'xhr-streaming', 'xhr-polling', 'eventsource'])('returns as soon as %s sessions drained, connected or gone', async (transport) => {
    const running = await startServer();
    const gone = await stompClient(running.http('/stomp'), transport);
    await gone.disconnect();
    const connected = await stompClient(running.http('/stomp'), transport);
    const errors: string[] = [];
    connected.client.onStompError = (f) => errors.push(f.headers.code);
    const started = Date.now();
    await running.server.close();
    const ms = Date.now() - started;
    expect(ms).toBeLessThan(1000);
    expect(running.server.stats().sessions.open).toBe(0);
    expect(running.server.stats().sessions.closed['server-shutdown']).toBe(1);
    await waitUntil('the ERROR at the client', () => errors.includes('STOMP_ERR_SERVER_SHUTDOWN'));
  });
});

/** Bundles the reference app once (esbuild; packages stay external) for child processes. */
function referenceAppBundle(): string {
  if (bundleDir === undefined) {
    bundleDir = mkdtempSync(join(tmpdir(), 'stompbox-shutdown-'));
    buildSync({
      entryPoints: [join(ROOT, 'examples', 'reference', 'main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outfile: join(bundleDir, 'main.js'),
      logLevel: 'error',
    });
  }
  return join(bundleDir, 'main.js');
}

function startReferenceChild(): Promise<{ child: ChildProcess; port: number; exited: Promise<{ code: number | null; signal: string | null }> }> {
  const child = spawn(process.execPath, [referenceAppBundle()], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', TCP_PORT: '0', NODE_PATH: join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /localhost:(\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]), exited });
    });
    child.once('exit', (code) => reject(new Error(`reference app exited (${code}) before listening: ${out}`)));
  });
}

describe('the reference app as a process', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('sends ERROR to its sessions and exits 0 on %s', async (signal) => {
    const { child, port, exited } = await startReferenceChild();
    const client = await RawClient.connected(`ws://127.0.0.1:${port}/webServer`);
    child.kill(signal);
    const error = await client.nextCommand('ERROR', 10000);
    expect(header(error, 'code')).toBe('STOMP_ERR_SERVER_SHUTDOWN');
    await client.closed;
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});
