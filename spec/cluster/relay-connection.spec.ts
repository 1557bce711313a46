import { createServer, type Server, type Socket } from 'node:net';
import { RelayConnection, type RelayEndpoint } from '../../broker/cluster/relay-connection';

/** A minimal STOMP peer on a real TCP socket: answers CONNECT with `connected`, records what it reads. */
async function peer(connected: string): Promise<{ server: Server; port: number; received: () => string; sockets: Socket[] }> {
  let text = '';
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => {
      const first = text === '';
      text += d.toString('latin1');
      if (first) s.write(connected);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, received: () => text, sockets };
}

const endpoint = (port: number, heartbeat: [number, number]): RelayEndpoint => ({
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
    const conn = new RelayConnection(endpoint(p.port, [50, 0]));
    await conn.opened();
    expect(p.received()).toBe('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:50,0\n\n\0');
    await new Promise((r) => setTimeout(r, 180));
    expect(p.received().slice(p.received().indexOf('\0') + 1)).toMatch(/^\n{2,}$/);
    conn.disconnect();
  });

  it('closes when the broker falls silent for twice the negotiated receive interval', async () => {
    const p = await peer('CONNECTED\nversion:1.2\nheart-beat:40,0\n\n\0');
    servers.push(p.server);
    const conn = new RelayConnection(endpoint(p.port, [0, 40]));
    await conn.opened();
    const started = Date.now();
    const reason = await new Promise<string>((r) => conn.once('close', r));
    expect(reason).toMatch(/no heart-beat from the broker for 80 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    for (const s of p.sockets) s.destroy();
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
