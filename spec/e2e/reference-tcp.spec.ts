/**
 * The reference app (`npm start`, examples/reference/main.ts) as a child process with STOMP
 * over TCP on env TCP_PORT: a TCP client drives its /subscribe handler, and a TCP port already
 * taken (61613 by RabbitMQ, as on this project's machines) gives one clear log line and a banner
 * line saying TCP is off, while HTTP still serves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { closeClients, header, RawClient } from '../helpers/clients';
import { listening } from '../support/requirements';

const ROOT = join(__dirname, '..', '..');
const children = new Set<ChildProcess>();
let bundleDir: string | undefined;

afterEach(async () => {
  await closeClients();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
});

afterAll(() => {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
});

function bundle(): string {
  if (bundleDir === undefined) {
    bundleDir = mkdtempSync(join(tmpdir(), 'stompbox-reference-tcp-'));
    buildSync({ entryPoints: [join(ROOT, 'examples', 'reference', 'main.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: join(bundleDir, 'main.js'), logLevel: 'error' });
  }
  return join(bundleDir, 'main.js');
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  httpPort: number;
}

/** Starts the app with `TCP_PORT=tcpPort` (unset: its default) and waits for its banner; HOST 127.0.0.1 unless `host` is false (every interface, as `npm start`). */
function start(tcpPort: string | undefined, host = true): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', TCP_PORT: tcpPort, NODE_PATH: join(ROOT, 'node_modules'), STOMPBOX_LOG_LEVEL: 'warn' };
  if (tcpPort === undefined) delete env.TCP_PORT;
  if (!host) delete env.HOST;
  const child = spawn(process.execPath, [bundle()], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /reference app on http:\/\/localhost:(\d+)\/\n(?:.*\n){2}/.exec(out);
      if (m !== null) resolve({ child, stdout: () => out, stderr: () => err, httpPort: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`reference app exited (${code}): ${out}${err}`)));
  });
}

describe('the reference app over TCP', () => {
  it('serves STOMP on TCP_PORT: a TCP client drives /subscribe and receives /topic/getResponse', async () => {
    const app = await start('0');
    const m = /STOMP over TCP: localhost:(\d+)/.exec(app.stdout());
    expect(m).not.toBeNull();
    const c = await RawClient.connected(`tcp://127.0.0.1:${m![1]}`);
    c.send('SUBSCRIBE\nid:1\ndestination:/topic/getResponse\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    c.send('SEND\ndestination:/subscribe\ncontent-type:application/json\n\n{"name":"tcp"}\0');
    const message = await c.nextCommand('MESSAGE', 5000);
    expect(header(message, 'destination')).toBe('/topic/getResponse');
    expect(message.body.toString()).toMatch(/^tcp-\d+$/);
    expect(app.stderr()).toBe('');
  });

  it('logs one line naming a TCP port already taken, and HTTP still serves', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    try {
      const app = await start(String(taken));
      expect(app.stdout()).toContain(`STOMP over TCP: off, port ${taken} could not be bound`);
      const lines = app.stderr().split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${taken} is already in use`);
      const page = await fetch(`http://127.0.0.1:${app.httpPort}/health`);
      expect(page.status).toBe(200);
    } finally {
      squatter.close();
    }
  });

  it('starts as `npm start` does (no TCP_PORT, every interface) while 61613 belongs to another broker', async () => {
    // RabbitMQ holds 61613 on this project's machines; where nothing does, this spec takes it itself.
    const squatter: Server | undefined = listening(61613) ? undefined : createServer();
    if (squatter !== undefined) await new Promise<void>((resolve) => squatter.listen(61613, resolve));
    try {
      const app = await start(undefined, false);
      expect(app.stdout()).toContain('STOMP over TCP: off, port 61613 could not be bound (another STOMP broker?); set TCP_PORT');
      const lines = app.stderr().split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('STOMP over TCP disabled: port 61613 is already in use; HTTP, WebSocket and SockJS still serve');
      const page = await fetch(`http://127.0.0.1:${app.httpPort}/health`);
      expect(page.status).toBe(200);
    } finally {
      squatter?.close();
    }
  });
});
