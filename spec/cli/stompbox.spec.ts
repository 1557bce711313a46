import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closeClients, RawClient } from '../helpers/clients';
import { buildCli, killCliProcesses, removeCli, runCli, runToExit, type CliProcess } from './support';

beforeAll(() => {
  buildCli();
});
afterAll(() => removeCli());
afterEach(async () => {
  await closeClients();
  await killCliProcesses();
});

/** `stompbox serve` on a free port of 127.0.0.1; resolves with the process and its port. */
async function startServe(args: string[] = [], env: Record<string, string> = {}): Promise<{ proc: CliProcess; port: number }> {
  const proc = runCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args], { env });
  const [, port] = await proc.waitFor('stdout', /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  return { proc, port: Number(port) };
}

/** `stompbox sub` that has confirmed its subscription. */
async function startSub(args: string[]): Promise<CliProcess> {
  const proc = runCli(['sub', ...args]);
  await proc.waitFor('stderr', /subscribed to/);
  return proc;
}

describe('stompbox --help', () => {
  it.each(['serve', 'sub', 'pub'])('prints the usage of %s and exits 0', async (command) => {
    const { code, stdout } = await runToExit([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: stompbox ${command}`);
  });

  it('prints the package version for --version and -v and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const { code, stdout } = await runToExit([flag]);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(version);
    }
  });

  it('lists the commands and exits 2 when no command is given', async () => {
    const { code, stdout } = await runToExit([]);
    expect(code).toBe(2);
    expect(stdout).toContain('serve');
  });

  it('exits 2 with a message for an unknown flag or a missing argument', async () => {
    const unknown = await runToExit(['sub', 'ws://127.0.0.1:1/x', '/topic/x', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--bogus');
    const missing = await runToExit(['pub', 'ws://127.0.0.1:1/x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('pub needs <url> <destination>');
  });
});

describe('stompbox serve, sub and pub', () => {
  it('serves the reference settings by default and round-trips JSON and text over WebSocket', async () => {
    const { proc: server, port } = await startServe();
    expect(server.stdout).toContain('endpoint /webServer');
    expect(server.stdout).toContain('endpoint /queueServer');
    expect(server.stdout).toContain('broker prefixes: /topic, /user, /queue');
    const url = `ws://127.0.0.1:${port}/webServer`;
    const sub = await startSub([url, '/topic/greetings', '--count', '3']);
    expect(await runToExit(['pub', url, '/topic/greetings', '{"hello": "world"}'])).toMatchObject({ code: 0 });
    expect(await runToExit(['pub', url, '/topic/greetings', 'plain text'])).toMatchObject({ code: 0 });
    expect(await runToExit(['pub', url, '/topic/greetings', 'two\nlines'])).toMatchObject({ code: 0 });
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('{"hello":"world"}\nplain text\n"two\\nlines"\n');
  });

  it('answers GET / with a page naming the version and the endpoints, and 404 elsewhere', async () => {
    const { proc: server, port } = await startServe();
    expect(server.stdout).toContain(`listening on http://127.0.0.1:${port}/\n`);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(page).toMatch(/<h1>stompbox \d+\.\d+\.\d+<\/h1>/);
    expect(page).toContain('<code>/webServer</code>');
    expect(page).toContain('<code>/queueServer</code>');
    expect((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status).toBe(404);
  });

  it('serves STOMP over TCP on --tcp-port (0 picks a port, the banner names it; off: none)', async () => {
    const { proc, port } = await startServe(['--tcp-port', '0']);
    const m = /STOMP over TCP: 127\.0\.0\.1:(\d+)\n/.exec(proc.stdout);
    expect(m).not.toBeNull();
    const c = await RawClient.connected(`tcp://127.0.0.1:${m![1]}`);
    c.send('SUBSCRIBE\nid:1\ndestination:/topic/cli-tcp\nreceipt:r\n\n\0');
    await c.nextCommand('RECEIPT');
    expect(await runToExit(['pub', `ws://127.0.0.1:${port}/webServer`, '/topic/cli-tcp', 'over tcp'])).toMatchObject({ code: 0 });
    expect((await c.nextCommand('MESSAGE')).body.toString()).toBe('over tcp');
    const { proc: none } = await startServe(['--tcp-port', 'off']);
    expect(none.stdout).not.toContain('STOMP over TCP');
  });

  it('prints addresses under --base-path and serves the iframe transports\' sockjs-client under it', async () => {
    const { proc: server, port } = await startServe(['--base-path', '/app']);
    expect(server.stdout).toContain(`listening on http://127.0.0.1:${port}/app/`);
    const iframe = await (await fetch(`http://127.0.0.1:${port}/webServer/iframe.html`)).text();
    expect(iframe).toContain('/app/lib/sockjs.min.js');
  });

  it('publishes one message per input line with "-" over SockJS', async () => {
    const { port } = await startServe();
    const sub = await startSub([`http://127.0.0.1:${port}/queueServer`, '/user/zhangsan/message', '-n', '3', '-t', 'sockjs', '--sockjs-transport', 'xhr-streaming']);
    const pub = await runToExit(['pub', `http://127.0.0.1:${port}/queueServer`, '/user/zhangsan/message', '-', '-t', 'sockjs'], { input: 'first\n{"n":2}\nthird\n' });
    expect(pub).toMatchObject({ code: 0 });
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('first\n{"n":2}\nthird\n');
  });

  it('prints an envelope with headers in json format', async () => {
    const { port } = await startServe();
    const url = `ws://127.0.0.1:${port}/webServer`;
    const sub = await startSub([url, '/topic/env', '-n', '1', '--format', 'json']);
    await runToExit(['pub', url, '/topic/env', '[1,2]', '-H', 'x-trace:abc']);
    expect(await sub.exited).toBe(0);
    const envelope = JSON.parse(sub.stdout);
    expect(envelope).toMatchObject({ destination: '/topic/env', body: [1, 2], headers: { 'x-trace': 'abc', 'content-type': 'application/json' } });
  });

  it('takes settings from flags over environment over the config file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-config-'));
    try {
      const config = path.join(dir, 'stompbox.json');
      writeFileSync(config, JSON.stringify({ endpoints: ['/fromFile'], brokerPrefixes: ['/fileTopics'], heartbeat: [0, 0] }));
      const { proc, port } = await startServe(['--config', config, '--broker-prefix', '/flagTopics'], { STOMPBOX_BROKER_PREFIXES: '/envTopics', STOMPBOX_ENDPOINTS: '/fromEnv' });
      expect(proc.stdout).toContain('endpoint /fromEnv:');
      expect(proc.stdout).not.toContain('/fromFile');
      expect(proc.stdout).toContain('broker prefixes: /flagTopics;');
      const url = `ws://127.0.0.1:${port}/fromEnv`;
      const sub = await startSub([url, '/flagTopics/a', '-n', '1']);
      expect(await runToExit(['pub', url, '/flagTopics/a', 'configured'])).toMatchObject({ code: 0 });
      expect(await sub.exited).toBe(0);
      expect(sub.stdout).toBe('configured\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for a config file with an option StompServer does not know, naming the file, the key and the nearest option', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-config-'));
    try {
      const config = path.join(dir, 'typo.json');
      writeFileSync(config, JSON.stringify({ port: 0, endpoints: ['/ws'], maxFrameSzie: 1024 }));
      const { code, stderr } = await runToExit(['serve', '--port', '0', '--host', '127.0.0.1', '--config', config]);
      expect(code).toBe(2);
      expect(stderr).toContain('typo.json');
      expect(stderr).toContain('Unknown option "maxFrameSzie"; did you mean "maxFrameSize"?');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 for a config file that is not JSON', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stompbox-config-'));
    try {
      const config = path.join(dir, 'broken.json');
      writeFileSync(config, '{ endpoints: ');
      const { code, stderr } = await runToExit(['serve', '--port', '0', '--host', '127.0.0.1', '--config', config]);
      expect(code).toBe(2);
      expect(stderr).toContain('broken.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps sub running across a server restart on the same port', async () => {
    const first = await startServe();
    const url = `ws://127.0.0.1:${first.port}/webServer`;
    const sub = await startSub([url, '/topic/restart', '-n', '2']);
    expect(await runToExit(['pub', url, '/topic/restart', 'before'])).toMatchObject({ code: 0 });
    await sub.waitFor('stdout', /before\n/);
    process.kill(first.proc.child.pid!, 'SIGTERM');
    expect(await first.proc.exited).toBe(0);
    await sub.waitFor('stderr', /reconnecting in \d+ ms/);
    const second = await startServe(['--port', String(first.port)]); // the later --port wins
    expect(second.port).toBe(first.port);
    await sub.waitFor('stderr', /subscribed to \/topic\/restart[^]*subscribed to \/topic\/restart/);
    expect(await runToExit(['pub', url, '/topic/restart', 'after'])).toMatchObject({ code: 0 });
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('before\nafter\n');
  });

  it('stops on SIGTERM and exits 0', async () => {
    const { proc } = await startServe();
    process.kill(proc.child.pid!, 'SIGTERM');
    const code = await proc.exited;
    expect({ code, stderr: proc.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('stompbox exit codes', () => {
  it('exits 3 for a bad URL', async () => {
    const notUrl = await runToExit(['pub', 'not a url', '/topic/x', 'hi']);
    expect(notUrl.code).toBe(3);
    expect(notUrl.stderr).toContain('does not parse');
    const ftp = await runToExit(['sub', 'ftp://127.0.0.1/webServer', '/topic/x']);
    expect(ftp.code).toBe(3);
    expect(ftp.stderr).toContain('scheme');
  });

  it('exits 4 when nothing listens at the URL', async () => {
    const port = await freePort();
    const { code, stderr } = await runToExit(['pub', `ws://127.0.0.1:${port}/webServer`, '/topic/x', 'hi']);
    expect(code).toBe(4);
    expect(stderr).toMatch(/could not connect.*ECONNREFUSED/);
    const sub = await runToExit(['sub', `http://127.0.0.1:${port}/webServer`, '/topic/x', '-t', 'sockjs']);
    expect(sub.code).toBe(4);
  });

  it('exits 5 with the server\'s message when it answers with an ERROR frame', async () => {
    const { port } = await startServe();
    const pub = await runToExit(['pub', `ws://127.0.0.1:${port}/webServer`, '/elsewhere/nowhere', 'hi']);
    expect(pub.code).toBe(5);
    expect(pub.stderr).toContain('STOMP_ERR_INVALID_DESTINATION');
    const sub = await runToExit(['sub', `ws://127.0.0.1:${port}/webServer`, '/elsewhere/nowhere']);
    expect(sub.code).toBe(5);
    expect(sub.stderr).toContain('/elsewhere/nowhere');
  });

  it('exits 6 when the server accepts the connection but never answers', async () => {
    const silent = await silentServer();
    try {
      const { code, stderr } = await runToExit(['pub', `ws://127.0.0.1:${silent.port}/webServer`, '/topic/x', 'hi', '--timeout', '300', '-t', 'websocket']);
      expect(code).toBe(6);
      expect(stderr).toContain('within 300 ms');
    } finally {
      await silent.close();
    }
  });
});

/** A port nothing listens on: bound once, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A TCP server that accepts connections and never writes a byte. */
function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

describe('stompbox sub --from', () => {
  it('replays a retained destination from first, an offset or an ISO time, offsets shown with --verbose', async () => {
    const { port } = await startServe();
    const url = `ws://127.0.0.1:${port}/webServer`;
    const before = new Date(Date.now() - 1000).toISOString();
    for (const body of ['a', 'b', 'c']) expect(await runToExit(['pub', url, '/topic/kept', body])).toMatchObject({ code: 0 });
    // The replay comes before the RECEIPT: with -n the command may end before "subscribed to".
    const first = await runToExit(['sub', url, '/topic/kept', '--from', 'first', '--verbose', '-n', '3']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('[0] a\n[1] b\n[2] c\n');
    const told = await startSub([url, '/topic/kept', '--from', 'first', '-v']);
    await told.waitFor('stderr', /started at first: complete/);
    told.child.kill('SIGTERM');
    expect(await told.exited).toBe(0);
    const offset = await runToExit(['sub', url, '/topic/kept', '--from', '1', '-n', '2']);
    expect(offset.code).toBe(0);
    expect(offset.stdout).toBe('b\nc\n');
    const time = await runToExit(['sub', url, '/topic/kept', '--from', before, '-n', '3']);
    expect(time.code).toBe(0);
    expect(time.stdout).toBe('a\nb\nc\n');
    const last = await runToExit(['sub', url, '/topic/kept', '--from', 'last', '-n', '1', '-v']);
    expect(last.code).toBe(0);
    expect(last.stdout).toBe('[2] c\n');
  });

  it('consumes a queue with --ack client-individual: what one sub acknowledged never reaches the next', async () => {
    const { port } = await startServe();
    const url = `ws://127.0.0.1:${port}/webServer`;
    for (const body of ['j1', 'j2', 'j3']) expect(await runToExit(['pub', url, '/queue/cli-jobs', body])).toMatchObject({ code: 0 });
    const first = await runToExit(['sub', url, '/queue/cli-jobs', '--ack', 'client-individual', '--prefetch', '1', '-n', '2']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('j1\nj2\n');
    const rest = await runToExit(['sub', url, '/queue/cli-jobs', '--ack', 'client', '-n', '1']);
    expect(rest.stdout).toBe('j3\n');
  });

  it('passes --selector to the server, which delivers only what it selects', async () => {
    const { port } = await startServe();
    const url = `ws://127.0.0.1:${port}/webServer`;
    const sub = await startSub([url, '/topic/cli-selected', '--selector', "priority > 5", '-n', '1']);
    expect(await runToExit(['pub', url, '/topic/cli-selected', 'low', '-H', 'priority:1'])).toMatchObject({ code: 0 });
    expect(await runToExit(['pub', url, '/topic/cli-selected', 'high', '-H', 'priority:9'])).toMatchObject({ code: 0 });
    expect(await sub.exited).toBe(0);
    expect(sub.stdout).toBe('high\n');
    const bad = await runToExit(['sub', url, '/topic/cli-selected', '--selector', 'priority >']);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('STOMP_ERR_INVALID_SELECTOR');
  });

  it('refuses --ack and --prefetch values it cannot send as usage errors', async () => {
    const ack = await runToExit(['sub', 'ws://127.0.0.1:1/x', '/queue/x', '--ack', 'later']);
    expect(ack.code).toBe(2);
    expect(ack.stderr).toContain('--ack must be auto, client or client-individual');
    const prefetch = await runToExit(['sub', 'ws://127.0.0.1:1/x', '/queue/x', '--prefetch', '0']);
    expect(prefetch.code).toBe(2);
  });

  it('refuses a position it cannot read as a usage error', async () => {
    const result = await runToExit(['sub', 'ws://127.0.0.1:1/x', '/topic/x', '--from', 'yesterday']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--from must be first, last, next, an offset or an ISO time; received "yesterday"');
  });
});
