import { createServer, type Server, type Socket } from 'node:net';
import { StompBrokerRelay } from '../../broker/cluster/broker-relay';
import type { RelayConnection } from '../../broker/cluster/relay-connection';
import { silentLogger } from '../../broker/logger';
import { closeClients, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { tcpUrl } from '../helpers/transports';
import { eventually } from './services';

/**
 * The relay when the external broker stops reading but stays alive (no heart-beats asked, so
 * never overdue): a connection holds at most `maxBufferedBytes` unwritten (plus the frame that
 * crossed it); the session's later frames wait, then it stops reading its client; once the
 * broker reads again every frame goes out, in order. A real TCP peer that pauses its socket.
 */

const servers: Server[] = [];
const relays: StompBrokerRelay[] = [];
afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(relays.splice(0).map((r) => r.close()));
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A STOMP peer that answers CONNECT (heart-beats off) and then reads nothing on the session connections until `resume()`. */
async function stallingBroker(): Promise<{ port: number; received: () => string; resume: () => void; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let text = '';
  let stalled = true;
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    s.once('data', (first) => {
      s.write('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
      // The first connection is the relay's system connection; the others are sessions'.
      if (sockets.length > 1 && stalled) s.pause();
      s.on('data', (d: Buffer) => (text += d.toString('latin1')));
      text += first.toString('latin1').slice(0, 0);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    received: () => text,
    resume: () => {
      stalled = false;
      for (const s of sockets) s.resume();
    },
    sockets,
  };
}

describe('StompBrokerRelay when the external broker stops reading', () => {
  it.each([
    ['64 KiB', 64 * 1024, false],
    ['the default, 1 MiB', undefined, false],
    ['64 KiB, behind an asynchronous authorization rule', 64 * 1024, true],
  ])('holds at most maxBufferedBytes (%s) per connection, then forwards every frame in order once the broker reads again', async (_name, option, asyncRule) => {
    const broker = await stallingBroker();
    const max = option ?? 1 << 20;
    const relay = new StompBrokerRelay({ port: broker.port, heartbeat: [0, 0], ...(option === undefined ? {} : { maxBufferedBytes: option }), reconnectDelay: [50, 200], logger: silentLogger });
    relays.push(relay);
    await relay.start();
    const authorization = asyncRule ? { rules: [{ destination: '/topic/**', access: async () => true }] } : undefined;
    const running = await startServer({ relay, tcp: { port: 0, host: '127.0.0.1' }, ...(authorization === undefined ? {} : { authorization }) });
    const client = await RawClient.connected(tcpUrl(running));
    const frameBytes = 60 * 1024; // under maxFrameSize (64 KiB)
    const count = 240; // 14 MiB, several times what the loopback socket buffers and the default bound take
    for (let i = 0; i < count; i++) client.send(`SEND\ndestination:/topic/big\nseq:${i}\n\n${'x'.repeat(frameBytes)}\0`);
    const sessions = (relay as unknown as { sessions: Map<string, { conn: RelayConnection; held: number }> }).sessions;
    const entry = await eventually('a frame to be held', () => [...sessions.values()].find((e) => e.held > 0), 10_000);
    expect(entry.conn.backedUp).toBe(true);
    expect(entry.conn.bufferedAmount).toBeLessThanOrEqual(max + frameBytes + 1024);
    expect(client.frames.filter((f) => f.command === 'ERROR')).toHaveLength(0);
    broker.resume();
    await eventually('every SEND to reach the broker', () => (broker.received().match(/\nseq:\d+\n/g)?.length ?? 0) === count, 20_000);
    const seqs = [...broker.received().matchAll(/\nseq:(\d+)\n/g)].map((m) => Number(m[1]));
    expect(seqs).toEqual([...Array(count).keys()]);
    expect(client.frames.filter((f) => f.command === 'ERROR')).toHaveLength(0);
  }, 40_000);
});
