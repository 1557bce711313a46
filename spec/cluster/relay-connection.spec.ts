import { createServer, type Server, type Socket } from 'node:net';
import { RelayConnection, type RelayEndpoint } from '../../broker/cluster/relay-connection';
import { ManualClock } from '../helpers/manual-clock';

/** A minimal STOMP peer on a real TCP socket: answers CONNECT with `connected`, records what it reads. */
async function peer(connected: string): Promise<{ server: Server; port: number; received: () => string; sockets: Socket[]; until: (done: (text: string) => boolean) => Promise<string> }> {
  let text = '';
  const sockets: Socket[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => {
      const first = text === '';
      text += d.toString('latin1');
      if (first) s.write(connected);
      for (const w of [...waiters]) w();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  /** Resolves with what the peer read once `done` holds for it (checked on every read). */
  const until = (done: (text: string) => boolean): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!done(text)) return;
        waiters.delete(check);
        resolve(text);
      };
      waiters.add(check);
      check();
    });
  return { server, port: (server.address() as { port: number }).port, received: () => text, sockets, until };
}

const endpoint = (port: number, heartbeat: [number, number], clock?: ManualClock): RelayEndpoint => ({
  clock,
  host: '127.0.0.1',
  port,
  login: 'guest',
  passcode: 'guest',
  virtualHost: '/',
  heartbeat,
  connectTimeout: 1000,
});

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('RelayConnection', () => {
  it('sends CONNECT with credentials, virtual host and heart-beat, then sends lone-LF heart-beats', async () => {
    const p = await peer('CONNECTED\nversion:1.2\nheart-beat:0,50\n\n\0');
    servers.push(p.server);
    const clock = new ManualClock();
    const conn = new RelayConnection(endpoint(p.port, [50, 0], clock));
    await conn.opened();
    expect(p.received()).toBe('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:50,0\n\n\0');
    clock.advance(49);
    clock.advance(101); // 150 ms: three heart-beats, one per 50 ms
    const text = await p.until((t) => t.endsWith('\n\n\n'));
    expect(text.slice(text.indexOf('\0') + 1)).toBe('\n\n\n');
    conn.disconnect();
    expect(clock.pending).toBe(0);
  });

  it('is overdue past the negotiated receive interval and closes past twice it, checking every quarter interval', async () => {
    const p = await peer('CONNECTED\nversion:1.2\nheart-beat:40,0\n\n\0');
    servers.push(p.server);
    const clock = new ManualClock();
    const conn = new RelayConnection(endpoint(p.port, [0, 40], clock));
    await conn.opened();
    const reasons: string[] = [];
    conn.on('close', (r: string) => reasons.push(r));
    expect(conn.receiveInterval).toBe(40);
    clock.advance(40); // silent for exactly the interval: not overdue yet
    expect(conn.overdue).toBe(false);
    clock.advance(1);
    expect(conn.overdue).toBe(true);
    let alive = false;
    const heard = conn.alive().then(() => (alive = true));
    clock.advance(39); // silent for exactly twice the interval: still open
    expect(conn.state).toBe('open');
    expect(alive).toBe(false);
    clock.advance(10); // the next check, a quarter interval later
    expect(conn.state).toBe('closed');
    expect(reasons).toEqual(['no heart-beat from the broker for 90 ms (more than twice the 40 ms interval)']);
    await expect(heard).rejects.toThrow(/no heart-beat from the broker for 90 ms/);
    expect(clock.pending).toBe(0);
    for (const s of p.sockets) s.destroy();
  });

  it('resolves alive() on the first bytes read once overdue', async () => {
    const p = await peer('CONNECTED\nversion:1.2\nheart-beat:40,0\n\n\0');
    servers.push(p.server);
    const clock = new ManualClock();
    const conn = new RelayConnection(endpoint(p.port, [0, 40], clock));
    await conn.opened();
    await expect(conn.alive()).resolves.toBeUndefined(); // not overdue: at once
    clock.advance(60);
    expect(conn.overdue).toBe(true);
    const heard = conn.alive();
    for (const s of p.sockets) s.write('\n'); // a heart-beat
    await heard;
    expect(conn.overdue).toBe(false);
    expect(conn.state).toBe('open');
    conn.disconnect();
  });

  it('rejects opened() with the broker ERROR when CONNECT is refused', async () => {
    const p = await peer('ERROR\nmessage:Access refused for user\n\n\0');
    servers.push(p.server);
    const conn = new RelayConnection(endpoint(p.port, [0, 0]));
    await expect(conn.opened()).rejects.toThrow(/broker refused CONNECT: Access refused for user/);
    expect(conn.state).toBe('closed');
  });

  it('rejects opened() when nothing listens', async () => {
    const p = await peer('');
    const port = p.port;
    await new Promise((r) => p.server.close(r));
    const conn = new RelayConnection(endpoint(port, [0, 0]));
    await expect(conn.opened()).rejects.toThrow(/ECONNREFUSED/);
  });
});
