import { Socket } from 'node:net';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';

// The plain WebSocket transport writes the frames of one event-loop turn itself, in one buffer
// per socket (broker/transport/ws-endpoint.ts). These tests read what a real `ws` client gets:
// every STOMP frame one whole WebSocket message, in order, with the right opcode and length.

let running: Running;

beforeEach(async () => {
  // Room for the largest turn below (about 5 MB) before the slow-consumer policy applies.
  running = await startServer({ endpoints: ['/stomp'], sendBufferLimit: 16 * 1024 * 1024 });
});

afterEach(async () => {
  await closeClients();
  await closeServers();
});

async function subscribed(destination: string): Promise<RawClient> {
  const client = await RawClient.connected(running.ws('/stomp'));
  client.send(`SUBSCRIBE\nid:s\ndestination:${destination}\nreceipt:r\n\n\0`);
  expect((await client.next()).command).toBe('RECEIPT');
  return client;
}

/** Body sizes whose frames cross every WebSocket length form (7-bit, 16-bit, 64-bit) and the copy limit. */
function sizesAcrossBoundaries(): number[] {
  const sizes: number[] = [];
  for (let n = 0; n <= 160; n++) sizes.push(n);
  for (let n = 16_200; n <= 16_500; n += 7) sizes.push(n);
  for (let n = 65_300; n <= 65_700; n += 13) sizes.push(n);
  sizes.push(200_000, 3, 1_000_000, 5);
  return sizes;
}

describe('plain WebSocket framing of a turn\'s frames', () => {
  it('sends every frame of one turn as its own whole message, in order, across all length forms', async () => {
    const client = await subscribed('/topic/sizes');
    const sizes = sizesAcrossBoundaries();
    // All published in one turn: they leave in one write on the server side.
    for (let i = 0; i < sizes.length; i++) {
      void running.server.template.convertAndSend('/topic/sizes', String.fromCharCode(97 + (i % 26)).repeat(sizes[i]), { n: String(i) });
    }
    const messages = await client.messagesMatching((m) => m.data.subarray(0, 8).toString() === 'MESSAGE\n', sizes.length, 15_000);
    expect(client.decodeError).toBeUndefined();
    const frames = client.frames.filter((f) => f.command === 'MESSAGE');
    expect(frames).toHaveLength(sizes.length);
    for (let i = 0; i < sizes.length; i++) {
      expect(messages[i].binary).toBe(false);
      // One frame per WebSocket message: the message ends with this frame's NUL and holds no other.
      expect(messages[i].data[messages[i].data.length - 1]).toBe(0);
      expect(messages[i].data.indexOf(0)).toBe(messages[i].data.length - 1);
      expect(header(frames[i], 'n')).toBe(String(i));
      expect(header(frames[i], 'content-length')).toBe(String(sizes[i]));
      // Buffer.equals: jest's toEqual walks large buffers element by element.
      expect(Buffer.from(frames[i].body).equals(Buffer.from(String.fromCharCode(97 + (i % 26)).repeat(sizes[i])))).toBe(true);
    }
  });

  it('keeps text and binary messages of one turn apart, each with its own opcode', async () => {
    const client = await subscribed('/topic/mixed');
    const bodies: (string | Uint8Array)[] = ['first', Uint8Array.from([0xff, 0x00, 0xfe]), 'middle', new Uint8Array(70_000).fill(0xc3), 'last'];
    for (const body of bodies) {
      void running.server.template.convertAndSend('/topic/mixed', body, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/octet-stream' });
    }
    const messages = await client.messagesMatching((m) => m.data.subarray(0, 8).toString() === 'MESSAGE\n', bodies.length);
    expect(messages.map((m) => m.binary)).toEqual([false, true, false, true, false]);
    const frames = client.frames.filter((f) => f.command === 'MESSAGE');
    expect(frames.map((f, i) => Buffer.from(f.body).equals(Buffer.from(bodies[i])))).toEqual([true, true, true, true, true]);
  });

  it('writes the frames queued before an ERROR ahead of it, then closes cleanly', async () => {
    const client = await subscribed('/topic/last');
    for (let i = 0; i < 50; i++) void running.server.template.convertAndSend('/topic/last', `m${i}`);
    // Same turn: the malformed frame's ERROR and close must not overtake the 50 queued MESSAGEs.
    client.send('SUBSCRIBE\nid:s\ndestination:/topic/last\n\n\0');
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    const commands = client.frames.map((f) => f.command);
    expect(commands.slice(0, 2)).toEqual(['CONNECTED', 'RECEIPT']);
    expect(commands.at(-1)).toBe('ERROR');
    expect(client.frames.slice(2, -1).map((f) => Buffer.from(f.body).toString())).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(header(client.frames.at(-1)!, 'code')).toBe('STOMP_ERR_DUPLICATE_SUBSCRIPTION');
  });

  it('writes through the socket of the installed ws, not the ws.send fallback', async () => {
    // ws keeps its net.Socket in `_socket`, outside its public API: a ws release that moves it
    // would leave the transport on the slower fallback, and this test says so.
    await subscribed('/topic/socket');
    const [session] = [...running.server.sessions.values()];
    const socket = (session.connection as unknown as { socket?: unknown }).socket;
    expect(socket).toBeInstanceOf(Socket);
  });

  it('counts frames queued in this turn in bufferedAmount', async () => {
    await subscribed('/topic/count');
    const [session] = [...running.server.sessions.values()];
    const before = session.connection.bufferedAmount;
    void running.server.template.convertAndSend('/topic/count', 'x'.repeat(1000));
    expect(session.connection.bufferedAmount).toBeGreaterThanOrEqual(before + 1000);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(session.connection.bufferedAmount).toBeLessThan(1000);
  });
});
