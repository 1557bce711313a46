/**
 * STOMP over TCP with clients no one here wrote: Debian's stomp.py (python3-stomp) and
 * ruby-stomp as child processes, npm's stompit, and @stomp/stompjs over @stomp/tcp-wrapper.
 * Each connects with every version it offers, subscribes with client acks, receives a binary
 * body (content-length, NUL inside) byte for byte, acknowledges it, publishes one, takes its
 * receipts and the server's heart-beats, and disconnects. What they publish crosses to a
 * WebSocket subscriber, and what a WebSocket client publishes reaches them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Versions, type IMessage } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { closeClients, stompClient, type Inbox, type StompClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { recordSkip } from '../support/skips';
import { hasPythonStomp, hasRubyStomp, PYTHON } from '../support/requirements';

const FIXTURES = join(__dirname, 'tcp-clients');
/** What the WebSocket side sends to each TCP client: NUL, non-UTF-8 and a trailing NUL. */
const TO_TCP = Buffer.from([0x00, 0x01, 0x80, 0xff, 0x00, 0x41, 0x00]);
/** What the child clients send back (see their scripts). */
const FROM_PY = Buffer.from('\x00tcp\x00\xff\xfe py\x00', 'latin1');
const FROM_RB = Buffer.from('\x00tcp\x00\xff\xfe rb\x00', 'latin1');
const VERSIONS = ['1.0', '1.1', '1.2'] as const;

let running: Running;
let tcpPort: number;
let web: StompClient;

beforeEach(async () => {
  // Tolerance 5 (1 s of silence at 200 ms beats): a child client's heart-beat thread may stall that long on a loaded CI machine.
  running = await startServer({ endpoints: ['/stomp'], heartbeat: [200, 200], heartbeatTolerance: 5, tcp: { port: 0, host: '127.0.0.1' } });
  tcpPort = running.server.tcpAddress!.port;
  web = await stompClient(running.http('/stomp'), 'websocket');
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

/** Publishes TO_TCP from the WebSocket client with a content-length (stompjs adds it for binary bodies). */
function publishFromWeb(destination: string): void {
  web.client.publish({ destination, binaryBody: TO_TCP, headers: { 'content-type': 'application/octet-stream' } });
}

interface ChildReport {
  connected: Record<string, string>;
  body: string;
  contentLength: string;
  contentType: string;
  receipts: string[];
  errors: string[];
  heartbeats: number;
}

/**
 * Runs a child client against the TCP port: when it prints READY it has subscribed to `inbound`,
 * and the WebSocket side publishes to it; resolves with its JSON report once it exits 0.
 */
function runChild(command: string, script: string, version: string, inbound: string, outbound: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [join(FIXTURES, script), '127.0.0.1', String(tcpPort), version, inbound, outbound], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    let report: ChildReport | undefined;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'READY') publishFromWeb(inbound);
      else if (line.startsWith('{')) report = JSON.parse(line) as ChildReport;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && report !== undefined) resolve(report);
      else reject(new Error(`${script} ${version} exited ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

/** Checks what a child client reported and what the server and the WebSocket side saw. */
async function expectSession(report: ChildReport, version: string, out: Inbox, sent: Buffer, from: string): Promise<void> {
  expect(report.connected.version).toBe(version);
  expect(report.errors).toEqual([]);
  expect(Buffer.from(report.body, 'hex')).toEqual(TO_TCP);
  expect(report.contentLength).toBe(String(TO_TCP.length));
  expect(report.contentType).toBe('application/octet-stream');
  expect(report.receipts).toEqual(expect.arrayContaining(['sub-receipt', 'ack-receipt', 'send-receipt']));
  if (version !== '1.0') expect(report.heartbeats).toBeGreaterThanOrEqual(2);
  const [crossed] = await out.wait(1);
  expect(Buffer.from(crossed.binaryBody)).toEqual(sent);
  expect(crossed.headers['x-from']).toBe(from);
  expect(running.server.stats().frames.in.ACK).toBe(1);
  await waitUntil(() => Object.values(running.server.stats().sessions.closed).some((n) => n > 0), 10_000);
  expect(running.server.stats().sessions.closed).toMatchObject({ disconnect: 1 });
  // The client's own heart-beats kept the session alive (200 ms, tolerance 5) for its whole second.
  expect(running.server.stats().heartbeats.timeouts).toBe(0);
}

const python = hasPythonStomp();
const ruby = hasRubyStomp();

function describeWithClient(name: string, found: { ok: boolean; detail: string }, hint: string): jest.Describe {
  if (found.ok) return describe;
  const reason = `${name} is missing (${found.detail}; ${hint})`;
  if (process.env.CI) throw new Error(`CI needs ${reason}`);
  recordSkip(`${name} specs`, reason);
  return describe.skip;
}

describeWithClient('stomp.py', python, 'apt-get install python3-stomp')('stomp.py (python3-stomp) over TCP', () => {
  it.each(VERSIONS)('runs a whole STOMP %s session: binary bodies, client ack, receipts, heart-beats', async (version) => {
    const out = await web.subscribe(`/topic/py-out-${version}`);
    const report = await runChild(PYTHON, 'stomp_py_client.py', version, `/topic/py-in-${version}`, `/topic/py-out-${version}`);
    await expectSession(report, version, out, FROM_PY, 'stomp.py');
  });
});

describeWithClient('ruby-stomp', ruby, 'apt-get install ruby-stomp')('ruby-stomp over TCP', () => {
  it.each(VERSIONS)('runs a whole STOMP %s session: binary bodies, client ack, receipts, heart-beats', async (version) => {
    const out = await web.subscribe(`/topic/rb-out-${version}`);
    const report = await runChild('ruby', 'stomp_rb_client.rb', version, `/topic/rb-in-${version}`, `/topic/rb-out-${version}`);
    await expectSession(report, version, out, FROM_RB, 'ruby-stomp');
  });
});

describe('@stomp/stompjs over @stomp/tcp-wrapper', () => {
  it.each(VERSIONS)('runs a whole STOMP %s session across to WebSocket and back', async (version) => {
    const client = new Client({
      webSocketFactory: () => new TCPWrapper('127.0.0.1', tcpPort),
      stompVersions: new Versions([version]),
      connectHeaders: { login: 'js-user', passcode: 'secret', host: 'localhost' },
      heartbeatIncoming: 200,
      heartbeatOutgoing: 200,
      reconnectDelay: 0,
      debug: () => undefined,
    });
    const seen: IMessage[] = [];
    const receipts: string[] = [];
    let beats = 0;
    client.onUnhandledReceipt = (f) => void receipts.push(f.headers['receipt-id']);
    const connected = await new Promise<string>((resolve, reject) => {
      client.onConnect = (f) => resolve(f.headers.version);
      client.onStompError = (f) => reject(new Error(f.headers.message));
      client.onWebSocketClose = () => reject(new Error('closed before CONNECTED'));
      client.activate();
    });
    client.onWebSocketClose = () => undefined;
    try {
      expect(connected).toBe(version);
      // stompjs answers every server heart-beat it reads on its socket; count the bare EOLs.
      const socket = (client.webSocket as unknown as { socket: import('node:net').Socket }).socket;
      socket.on('data', (d: Buffer) => (beats += d.equals(Buffer.from('\n')) ? 1 : 0));
      const out = await web.subscribe(`/topic/js-out-${version}`);
      client.watchForReceipt('sub', () => receipts.push('sub'));
      client.subscribe(`/topic/js-in-${version}`, (m) => seen.push(m), { ack: version === '1.0' ? 'client' : 'client-individual', receipt: 'sub', id: 'js-sub' });
      await waitUntil(() => receipts.includes('sub'));
      publishFromWeb(`/topic/js-in-${version}`);
      await waitUntil(() => seen.length === 1);
      expect(Buffer.from(seen[0].binaryBody)).toEqual(TO_TCP);
      expect(seen[0].headers['content-length']).toBe(String(TO_TCP.length));
      client.watchForReceipt('ack', () => receipts.push('ack'));
      seen[0].ack({ receipt: 'ack' });
      await waitUntil(() => receipts.includes('ack'));
      expect(running.server.stats().frames.in.ACK).toBe(1);
      const back = Buffer.from([0, 0xfe, 0, 0x7f, 0]);
      client.publish({ destination: `/topic/js-out-${version}`, binaryBody: back, headers: { 'x-from': 'stompjs-tcp' } });
      const [crossed] = await out.wait(1);
      expect(Buffer.from(crossed.binaryBody)).toEqual(back);
      expect(crossed.headers['x-from']).toBe('stompjs-tcp');
      if (version !== '1.0') await waitUntil(() => beats >= 2, 3000);
    } finally {
      await client.deactivate();
    }
    await waitUntil(() => running.server.stats().sessions.closed.disconnect === 1);
  });
});

/** The parts of stompit (no types of its own) the spec uses. */
interface StompitClient {
  subscribe(headers: Record<string, string>, cb: (err: Error | null, message: StompitMessage) => void): void;
  send(headers: Record<string, string>, options?: { onReceipt?: () => void }): NodeJS.WritableStream;
  ack(message: StompitMessage): void;
  disconnect(cb?: (err?: Error) => void): void;
  getHeartbeat?(): [number, number];
  on(event: 'error', cb: (err: Error) => void): void;
  headers: Record<string, string>;
}
interface StompitMessage extends NodeJS.ReadableStream {
  headers: Record<string, string>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stompit = require('stompit') as {
  connect(options: { host: string; port: number; connectHeaders: Record<string, string> }, cb: (err: Error | null, client: StompitClient) => void): void;
};

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

describe('stompit over TCP', () => {
  it.each(VERSIONS)('runs a whole STOMP %s session across to WebSocket and back', async (version) => {
    const client = await new Promise<StompitClient>((resolve, reject) => {
      stompit.connect(
        { host: '127.0.0.1', port: tcpPort, connectHeaders: { host: 'localhost', login: 'stompit', passcode: 'secret', 'accept-version': version, 'heart-beat': '200,200' } },
        (err, c) => (err ? reject(err) : resolve(c)),
      );
    });
    client.on('error', () => undefined);
    expect(client.headers.version).toBe(version);
    if (version !== '1.0') expect(client.headers['heart-beat']).toBe('200,200');
    const out = await web.subscribe(`/topic/stompit-out-${version}`);
    const received = new Promise<{ body: Buffer; headers: Record<string, string>; message: StompitMessage }>((resolve, reject) => {
      client.subscribe({ destination: `/topic/stompit-in-${version}`, ack: version === '1.0' ? 'client' : 'client-individual', id: 'it-sub' }, (err, message) => {
        if (err) return reject(err);
        readAll(message).then((body) => resolve({ body, headers: message.headers, message }), reject);
      });
    });
    // A SEND with a receipt after the SUBSCRIBE: its RECEIPT means the subscription is in place.
    await new Promise<void>((resolve) => {
      const frame = client.send({ destination: '/topic/nobody', receipt: 'sync' }, { onReceipt: resolve });
      frame.end('sync');
    });
    publishFromWeb(`/topic/stompit-in-${version}`);
    const { body, headers, message } = await received;
    expect(body).toEqual(TO_TCP);
    expect(String(headers['content-length'])).toBe(String(TO_TCP.length));
    client.ack(message);
    const back = Buffer.from([0, 0x80, 0, 0x81, 0]);
    await new Promise<void>((resolve) => {
      const frame = client.send({ destination: `/topic/stompit-out-${version}`, 'content-length': String(back.length), 'x-from': 'stompit', receipt: 'back' }, { onReceipt: resolve });
      frame.end(back);
    });
    const [crossed] = await out.wait(1);
    expect(Buffer.from(crossed.binaryBody)).toEqual(back);
    expect(crossed.headers['x-from']).toBe('stompit');
    await waitUntil(() => running.server.stats().frames.in.ACK === 1);
    await new Promise<void>((resolve, reject) => client.disconnect((err) => (err ? reject(err) : resolve())));
    await waitUntil(() => running.server.stats().sessions.closed.disconnect === 1);
  });
});

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
