import { randomBytes } from 'node:crypto';
import { StompBrokerRelay } from '../../broker/cluster/broker-relay';
import { silentLogger } from '../../broker/logger';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer, type Running } from '../helpers/server';
import { tcpUrl } from '../helpers/transports';
import { FrozenProxy, type ProxiedLink } from './frozen-proxy';
import { describeWith, eventually } from './services';

/**
 * The relay when RabbitMQ's link freezes: the TCP peer stops (no FIN, no RST, sockets open),
 * so only heart-beats can tell. A proxy between the relay and RabbitMQ (127.0.0.1:61613) is
 * frozen mid-session. RabbitMQ writes a heart-beat every R/2 for a negotiated interval R; the
 * relay (heart-beat [0, R]: it sends none, so RabbitMQ never times the frozen relay out) holds
 * frames once silent past R and closes the link past 2R.
 */

const STOMP_PORT = 61613;
const describeRabbit = describeWith('RabbitMQ STOMP', STOMP_PORT, 'install rabbitmq-server and run: rabbitmq-plugins enable rabbitmq_stomp');
const R = 2000; // RabbitMQ rounds heart-beats to whole seconds and writes every R/2
/** Timer and scheduling slack on a shared machine. */
const SLACK = 400;

const relays: StompBrokerRelay[] = [];
const proxies: FrozenProxy[] = [];
afterEach(async () => {
  await closeClients();
  await closeServers();
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function frozenSetup(): Promise<{ proxy: FrozenProxy; relay: StompBrokerRelay; running: Running; publisher: RawClient; link: ProxiedLink }> {
  const proxy = await FrozenProxy.start(STOMP_PORT);
  proxies.push(proxy);
  const relay = new StompBrokerRelay({ port: proxy.port, heartbeat: [0, R], reconnectDelay: [50, 200], connectTimeout: 2000, logger: silentLogger });
  relays.push(relay);
  await relay.start();
  const running = await startServer({ relay, tcp: { port: 0, host: '127.0.0.1' } });
  const publisher = await RawClient.connected(tcpUrl(running));
  const link = proxy.links[proxy.links.length - 1]; // the publisher's own link (the first is the system connection)
  return { proxy, relay, running, publisher, link };
}

const sends = (chunks: readonly { data: Buffer }[]): number => chunks.reduce((n, c) => n + (c.data.toString('latin1').match(/SEND\n/g)?.length ?? 0), 0);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeRabbit('StompBrokerRelay when RabbitMQ freezes (TCP peer stopped, not closed)', () => {
  it('writes no SEND into a link silent past its heart-beat, and ends the session with STOMP_ERR_RELAY_UNAVAILABLE within 2R + R/4', async () => {
    const { proxy, relay, publisher, link } = await frozenSetup();
    const topic = `/topic/stompbox.${randomBytes(4).toString('hex')}`;
    const error = publisher.nextCommand('ERROR', 4 * R + SLACK);
    let ended = false;
    void error.then(() => (ended = true), () => (ended = true));
    proxy.freeze();
    const sentAt: number[] = [];
    for (let i = 0; i < 80 && !ended && publisher.closeCode === undefined; i++) {
      publisher.send(`SEND\ndestination:${topic}\nreceipt:m${i}\n\nm${i}\0`);
      sentAt.push(Date.now());
      await pause(R / 20);
    }
    const frame = await error;
    const closedAt = Date.now();
    expect(header(frame, 'code')).toBe('STOMP_ERR_RELAY_UNAVAILABLE');
    const held = Number(header(frame, 'receipt-id')?.slice(1)); // the ERROR names the held SEND's receipt
    expect(sentAt[held]).toBeGreaterThan(link.lastDown + R - SLACK / 4);
    expect(header(frame, 'message')).toMatch(/^Broker relay connection lost \(no heart-beat from the broker for \d+ ms.*\): SEND \(held since the external broker fell silent \d+ ms before\) was not forwarded$/);
    // Closed once the first of the relay's connections (system or this one) was silent past twice
    // the interval, at its first check after that (every R/4): the system connection's death
    // closes a session link that is overdue too.
    const firstSilent = Math.min(...proxy.links.map((l) => l.lastDown));
    expect(closedAt - firstSilent).toBeGreaterThan(2 * R - 10); // Date.now() is whole ms in two places
    expect(closedAt - firstSilent).toBeLessThan(2 * R + R / 4 + SLACK);
    expect(closedAt - link.lastDown).toBeGreaterThan(R);
    // SENDs were still coming once the link was overdue, and none of those went into the socket.
    expect(sentAt.filter((t) => t > link.lastDown + R + SLACK).length).toBeGreaterThan(5);
    for (const chunk of link.heldUp.filter((c) => c.data.includes('SEND\n'))) expect(chunk.at - link.lastDown).toBeLessThanOrEqual(R + SLACK / 4);
    // What the frozen peer took is at most the SENDs of one interval (R / (R/20) = 20), not all of them.
    expect(sends(link.heldUp)).toBeLessThanOrEqual(22);
    await publisher.closed;
    // The system connection died of silence too and reconnects once the broker answers again.
    await eventually('the system connection to be closed', () => !relay.available, 3 * R);
  }, 15_000);

  it('holds a SEND while the link is overdue and forwards it, receipt and all, once RabbitMQ is heard from again', async () => {
    const { proxy, running, publisher, link } = await frozenSetup();
    const topic = `/topic/stompbox.${randomBytes(4).toString('hex')}`;
    const subscriber = await RawClient.connected(`tcp://127.0.0.1:${STOMP_PORT}`, { host: '/', login: 'guest', passcode: 'guest' });
    subscriber.send(`SUBSCRIBE\nid:s\ndestination:${topic}\nreceipt:sub\n\n\0`);
    await subscriber.nextCommand('RECEIPT');
    proxy.freeze();
    await eventually('every link to be silent past R', () => Date.now() - Math.max(...proxy.links.map((l) => l.lastDown)) > R + SLACK / 4, 3 * R);
    // Server-side publishing through the (as silent) system connection is refused at once, not written.
    await expect(running.server.template.convertAndSend(topic, 'from the server')).rejects.toThrow(/^Broker relay unavailable: cannot publish to ".*": the external broker has been silent for \d+ ms$/);
    const before = running.server.counters.framesIn.SEND ?? 0;
    publisher.send(`SEND\ndestination:${topic}\nreceipt:r1\n\nheld\0`);
    await eventually('the SEND to be read', () => (running.server.counters.framesIn.SEND ?? 0) > before, R);
    await new Promise((r) => setImmediate(r));
    expect(sends(link.heldUp)).toBe(0); // held in the relay, not written into the frozen socket
    expect(sends(proxy.links[0].heldUp)).toBe(0); // nor the template's SEND into the system connection's
    proxy.thaw();
    const receipt = await publisher.nextCommand('RECEIPT', 2 * R);
    expect(header(receipt, 'receipt-id')).toBe('r1');
    const message = await subscriber.nextCommand('MESSAGE', 2 * R);
    expect(message.body.toString()).toBe('held');
  }, 15_000);
});
