/** Messages crossing between STOMP over TCP, SSE and HTTP publish (issue 17). */
import { Client, type IMessage } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { closeServers, startServer, type Running } from '../helpers/server';
import { closeStreams, openSse } from '../helpers/sse';

const TOKEN = 'cross-transport-token';
let running: Running;
let tcp: Client | undefined;

beforeEach(async () => {
  running = await startServer({ endpoints: ['/stomp'], brokerPrefixes: ['/topic'], sse: true, httpPublish: { token: TOKEN }, tcp: { port: 0, host: '127.0.0.1' } });
});

afterEach(async () => {
  await tcp?.deactivate();
  tcp = undefined;
  closeStreams();
  await closeServers();
});

/** @stomp/stompjs over @stomp/tcp-wrapper, connected. */
async function tcpClient(): Promise<Client> {
  const client = new Client({ webSocketFactory: () => new TCPWrapper('127.0.0.1', running.server.tcpAddress!.port), reconnectDelay: 0, debug: () => undefined });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (f) => reject(new Error(f.headers.message));
    client.activate();
  });
  tcp = client;
  return client;
}

describe('across TCP, SSE and HTTP publish', () => {
  it('a TCP publisher reaches an SSE subscriber, with its headers in the json form', async () => {
    const client = await tcpClient();
    const stream = await openSse(running.http('/sse?destination=/topic/cross&format=json'));
    client.publish({ destination: '/topic/cross', body: '{"from":"tcp"}', headers: { 'content-type': 'application/json', 'x-via': 'tcp' } });
    const [event] = await stream.nextEvents(1);
    expect(JSON.parse(event.data)).toMatchObject({ destination: '/topic/cross', body: { from: 'tcp' }, headers: { 'x-via': 'tcp' } });
  });

  it('an HTTP publish reaches a TCP subscriber byte for byte, content type kept', async () => {
    const client = await tcpClient();
    const seen: IMessage[] = [];
    await new Promise<void>((resolve) => {
      client.watchForReceipt('sub', () => resolve());
      client.subscribe('/topic/back', (m) => seen.push(m), { receipt: 'sub' });
    });
    const body = Buffer.from([1, 2, 0xff, 0, 10]);
    const res = await fetch(running.http('/publish?destination=/topic/back'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, body });
    expect(res.status).toBe(202);
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.from(seen[0].binaryBody)).toEqual(body);
    expect(seen[0].headers['content-type']).toBe('application/octet-stream');
  });
});
