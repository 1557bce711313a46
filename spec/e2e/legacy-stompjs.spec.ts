/**
 * The legacy `stompjs` 2.3.3 client (the `stomp.min.js` of most Spring demo pages) over
 * sockjs-client. It does not buffer: it needs every frame whole in one SockJS message and a
 * heart-beat as a lone "\n" message; it splits what it sends at 16 KiB.
 */
import { closeClients, legacyStompClient, type Legacy, type LegacyFrame } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';

let running: Running;

afterEach(async () => {
  await closeClients();
  await closeServers();
});

async function start(config: Parameters<typeof startServer>[0] = {}): Promise<string> {
  running = await startServer({ endpoints: ['/stomp'], ...config });
  return running.http('/stomp');
}

/** Subscribes and collects MESSAGE frames. */
function inbox(legacy: Legacy, destination: string, headers: Record<string, string> = {}): { frames: LegacyFrame[]; wait(n: number): Promise<LegacyFrame[]> } {
  const frames: LegacyFrame[] = [];
  legacy.client.subscribe(destination, (f) => frames.push(f), headers);
  return { frames, wait: (n) => legacy.until(`${n} messages at ${destination}`, () => (frames.length >= n ? frames : undefined)) };
}

/** A received SockJS message is a whole frame: a command first, one NUL, at the end. */
function isWholeFrame(message: string): boolean {
  return /^[A-Z]+\n/.test(message) && message.endsWith('\0') && message.indexOf('\0') === message.length - 1;
}

describe('legacy stompjs 2.3.3 over sockjs-client', () => {
  it.each(['sockjs-websocket', 'xhr-streaming'] as const)('connects over %s with STOMP 1.1', async (transport) => {
    await start({ sockjs: { disconnectDelay: 500 } });
    const legacy = await legacyStompClient(running.http('/stomp'), transport);
    expect(legacy.connected.command).toBe('CONNECTED');
    expect(legacy.connected.headers.version).toBe('1.1');
    expect(running.server.sessions.size).toBe(1);
  });

  it('makes a round trip', async () => {
    const legacy = await legacyStompClient(await start());
    const box = inbox(legacy, '/topic/legacy');
    legacy.client.send('/topic/legacy', { 'x-kind': 'greeting' }, 'hello from 2013');
    const [m] = await box.wait(1);
    expect(m.body).toBe('hello from 2013');
    expect(m.headers.destination).toBe('/topic/legacy');
    expect(m.headers['x-kind']).toBe('greeting');
    expect(m.headers['content-length']).toBe(String(Buffer.byteLength('hello from 2013')));
  });

  it('reassembles a 40 KiB frame the client splits across SockJS messages, and returns it whole', async () => {
    const legacy = await legacyStompClient(await start());
    const box = inbox(legacy, '/topic/big');
    const body = 'é'.repeat(1024) + 'x'.repeat(40 * 1024 - 2048);
    expect(Buffer.byteLength(body)).toBe(40 * 1024);
    const before = legacy.sent.length;
    legacy.client.send('/topic/big', {}, body);
    expect(legacy.sent.length - before).toBe(3); // split at 16 KiB (characters)
    const [m] = await box.wait(1);
    expect(m.body).toBe(body);
    expect(m.headers['content-length']).toBe(String(40 * 1024));
    expect(legacy.received.filter((r) => r.startsWith('MESSAGE\n'))).toHaveLength(1);
  });

  it('reassembles a frame above 64 KiB when maxFrameSize allows it', async () => {
    const legacy = await legacyStompClient(await start({ maxFrameSize: 256 * 1024 }));
    const box = inbox(legacy, '/topic/bigger');
    const body = 'y'.repeat(100 * 1024);
    legacy.client.send('/topic/bigger', {}, body);
    const [m] = await box.wait(1);
    expect(m.body).toBe(body);
  });

  it('receives every frame whole in one SockJS message and heart-beats as lone "\\n" messages', async () => {
    const legacy = await legacyStompClient(await start({ heartbeat: [100, 0] }), 'sockjs-websocket', { outgoing: 0, incoming: 100 });
    const box = inbox(legacy, '/topic/whole');
    for (let i = 0; i < 5; i++) legacy.client.send('/topic/whole', {}, `message ${i}`);
    await box.wait(5);
    await legacy.until('3 heart-beats', () => (legacy.received.filter((r) => r === '\n').length >= 3 ? true : undefined), 3000);
    for (const message of legacy.received) {
      expect(message === '\n' || isWholeFrame(message)).toBe(true);
    }
    expect(legacy.errors).toEqual([]);
    expect(box.frames.map((f) => f.body)).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
  });

  it('stays connected while it sends heart-beats the server asked for', async () => {
    const legacy = await legacyStompClient(await start({ heartbeat: [100, 100] }), 'sockjs-websocket', { outgoing: 100, incoming: 100 });
    await legacy.until('6 heart-beats from the server', () => (legacy.received.filter((r) => r === '\n').length >= 6 ? true : undefined), 3000);
    expect(legacy.sent.filter((s) => s === '\n').length).toBeGreaterThanOrEqual(2);
    expect(legacy.errors).toEqual([]);
    expect(running.server.sessions.size).toBe(1);
  });

  it('acknowledges in client mode with 1.1 message-id and subscription', async () => {
    const legacy = await legacyStompClient(await start());
    const box = inbox(legacy, '/queue/jobs', { ack: 'client' });
    legacy.client.send('/queue/jobs', {}, 'job');
    const [m] = await box.wait(1);
    const receipt = new Promise<LegacyFrame>((resolve) => (legacy.client.onreceipt = resolve));
    m.ack({ receipt: 'acked' });
    expect((await receipt).headers['receipt-id']).toBe('acked');
    const [session] = running.server.sessions.values();
    expect(session.acks.size).toBe(0);
  });

  it('reports an ERROR frame to its error callback', async () => {
    const legacy = await legacyStompClient(await start());
    legacy.client.send('/nowhere', {}, 'x');
    const [error] = await legacy.until('an error', () => (legacy.errors.length > 0 ? legacy.errors : undefined));
    expect(typeof error).not.toBe('string');
    expect((error as LegacyFrame).headers.code).toBe('STOMP_ERR_INVALID_DESTINATION');
  });
});
