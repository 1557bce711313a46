/**
 * What a user sees with no logger configured: the default logger writes handler failures and
 * an unreachable Redis to stderr at warn/error, and never a message body. The jest setup
 * silences the default logger (spec/support/quiet-logs.ts); these specs turn it back on.
 */
import { createServer } from 'node:net';
import { RedisBroker, StompServer } from '../../broker';
import { StompboxClient } from '../../client';
import { eventually } from '../cluster/services';

const servers: StompServer[] = [];
const clients: StompboxClient[] = [];
let stderr: string[] = [];
let restore: (() => void) | undefined;

beforeEach(() => {
  delete process.env.STOMPBOX_LOG_LEVEL; // the default: warn and above
  stderr = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  restore = () => spy.mockRestore();
});

afterEach(async () => {
  restore?.();
  process.env.STOMPBOX_LOG_LEVEL = 'silent';
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serverWithFailingHandlers(): Promise<string> {
  const server = new StompServer(); // no logger option
  servers.push(server);
  server.onMessage('/throws', () => {
    throw new Error('the handler threw');
  });
  server.onMessage('/rejects', async () => Promise.reject(new Error('the handler rejected')));
  const { port } = await server.listen(0, '127.0.0.1');
  return `ws://127.0.0.1:${port}/stomp`;
}

describe('the default logger', () => {
  it.each([
    ['throws', 'the handler threw'],
    ['rejects', 'the handler rejected'],
  ])('prints a handler that %s on stderr at warn, without the body', async (name, reason) => {
    const client = new StompboxClient({ url: await serverWithFailingHandlers(), reconnect: false });
    clients.push(client);
    await client.connect();
    const reported = new Promise((resolve) => client.on('error', resolve));
    await client.publish(`/${name}`, { secret: 'body-must-not-be-logged' }, {}, { receipt: true });
    await reported; // the client saw it too
    const line = stderr.find((l) => l.includes('Handler failed'));
    expect(line).toMatch(/^stompbox warn: Handler failed /);
    expect(line).toContain(`"destination":"/${name}"`);
    expect(line).toContain(reason);
    expect(stderr.join('')).not.toContain('body-must-not-be-logged');
  });

  it('prints a RedisBroker pointed at a dead port, once, at error, naming the port', async () => {
    const port = await closedPort();
    const broker = new RedisBroker({ redis: { port }, reconnectDelay: [20, 40] });
    try {
      await eventually('the outage line', () => stderr.some((l) => l.includes('Redis is unreachable')));
      await new Promise((r) => setTimeout(r, 200)); // more failed attempts, every 20-40 ms
      const lines = stderr.filter((l) => l.includes('Redis'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^stompbox error: Redis is unreachable; retrying with backoff \\{"redis":"127\\.0\\.0\\.1:${port}".*ECONNREFUSED`));
    } finally {
      await broker.close();
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
