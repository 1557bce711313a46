/** ACK and NACK end to end (STOMP 1.2 §SUBSCRIBE "ack", §ACK, §NACK; 1.1 message-id + subscription). */
import type { Session } from '../../broker/session/session';
import { closeClients, header, RawClient } from '../helpers/clients';
import type { PlainFrame } from '../helpers/frames';
import { closeServers, type Running } from '../helpers/server';
import { RAW_TRANSPORTS } from '../helpers/transports';

describe.each(RAW_TRANSPORTS)('over $name', (transport) => {
  let running: Running;
  let url: string;

  beforeEach(async () => {
    ({ running, url } = await transport.start());
  });

  afterEach(async () => {
    await closeClients();
    await closeServers();
  });

  function onlySession(): Session {
    const [session] = [...running.server.sessions.values()];
    return session as Session;
  }

  /** Subscribes with `ack` mode, publishes `count` messages and returns the MESSAGE frames. */
  async function deliver(c: RawClient, ack: string, count: number): Promise<PlainFrame[]> {
    c.send(`SUBSCRIBE\nid:s\ndestination:/queue/jobs\nack:${ack}\nreceipt:sub\n\n\0`);
    await c.nextCommand('RECEIPT');
    const out: PlainFrame[] = [];
    for (let i = 0; i < count; i++) {
      c.send(`SEND\ndestination:/queue/jobs\n\njob ${i}\0`);
      out.push(await c.nextCommand('MESSAGE'));
    }
    return out;
  }

  function ackReceipt(c: RawClient, id: string): Promise<PlainFrame> {
    return c.nextMatching((f) => f.command === 'ERROR' || header(f, 'receipt-id') === id, `RECEIPT ${id}`);
  }

  describe('STOMP 1.2 acknowledgement', () => {
    it('puts no ack header on MESSAGEs of auto subscriptions', async () => {
      const c = await RawClient.connected(url);
      const [m] = await deliver(c, 'auto', 1);
      expect(header(m, 'ack')).toBeUndefined();
      expect(onlySession().acks.size).toBe(0);
    });

    it.each(['client', 'client-individual'])('puts a unique ack header on MESSAGEs of %s subscriptions', async (mode) => {
      const c = await RawClient.connected(url);
      const messages = await deliver(c, mode, 3);
      const acks = messages.map((m) => header(m, 'ack'));
      expect(acks.every((a) => a !== undefined && a !== '')).toBe(true);
      expect(new Set(acks).size).toBe(3);
      expect(onlySession().acks.size).toBe(3);
    });

    it('settles every earlier message of the subscription on ACK in client mode', async () => {
      const c = await RawClient.connected(url);
      const [first, second, third] = await deliver(c, 'client', 3);
      c.send(`ACK\nid:${header(second, 'ack')}\nreceipt:a2\n\n\0`);
      expect((await ackReceipt(c, 'a2')).command).toBe('RECEIPT');
      expect(onlySession().acks.size).toBe(1);
      c.send(`ACK\nid:${header(third, 'ack')}\nreceipt:a3\n\n\0`);
      expect((await ackReceipt(c, 'a3')).command).toBe('RECEIPT');
      expect(onlySession().acks.size).toBe(0);
      // The first was settled by the cumulative ACK: naming it again is an error.
      c.send(`ACK\nid:${header(first, 'ack')}\nreceipt:a1\n\n\0`);
      const error = await ackReceipt(c, 'a1');
      expect(error.command).toBe('ERROR');
      expect(header(error, 'code')).toBe('STOMP_ERR_UNKNOWN_ACK');
      expect(header(error, 'receipt-id')).toBe('a1');
    });

    it('settles only the named message in client-individual mode', async () => {
      const c = await RawClient.connected(url);
      const [first, second] = await deliver(c, 'client-individual', 3);
      c.send(`ACK\nid:${header(second, 'ack')}\nreceipt:a2\n\n\0`);
      await ackReceipt(c, 'a2');
      expect(onlySession().acks.size).toBe(2);
      c.send(`NACK\nid:${header(first, 'ack')}\nreceipt:n1\n\n\0`);
      expect((await ackReceipt(c, 'n1')).command).toBe('RECEIPT');
      expect(onlySession().acks.size).toBe(1);
    });

    it('settles with NACK as with ACK', async () => {
      const c = await RawClient.connected(url);
      const [, second] = await deliver(c, 'client', 2);
      c.send(`NACK\nid:${header(second, 'ack')}\nreceipt:n\n\n\0`);
      expect((await ackReceipt(c, 'n')).command).toBe('RECEIPT');
      expect(onlySession().acks.size).toBe(0);
    });

    it('answers an ACK of an unknown id with an ERROR and closes', async () => {
      const c = await RawClient.connected(url);
      await deliver(c, 'client', 1);
      c.send('ACK\nid:no-such-ack\nreceipt:x\n\n\0');
      const error = await c.nextCommand('ERROR');
      expect(header(error, 'code')).toBe('STOMP_ERR_UNKNOWN_ACK');
      expect(header(error, 'message')).toContain('no-such-ack');
      await c.closed;
    });

    it('forgets pending messages of a subscription on UNSUBSCRIBE', async () => {
      const c = await RawClient.connected(url);
      const [m] = await deliver(c, 'client', 2);
      c.send('UNSUBSCRIBE\nid:s\nreceipt:u\n\n\0');
      await c.nextCommand('RECEIPT');
      expect(onlySession().acks.size).toBe(0);
      c.send(`ACK\nid:${header(m, 'ack')}\n\n\0`);
      expect(header(await c.nextCommand('ERROR'), 'code')).toBe('STOMP_ERR_UNKNOWN_ACK');
    });
  });

  describe('STOMP 1.1 acknowledgement', () => {
    it('acknowledges by message-id and subscription, with no ack header on MESSAGE', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.1' });
      const [m] = await deliver(c, 'client-individual', 1);
      expect(header(m, 'ack')).toBeUndefined();
      c.send(`ACK\nmessage-id:${header(m, 'message-id')}\nsubscription:s\nreceipt:a\n\n\0`);
      expect((await ackReceipt(c, 'a')).command).toBe('RECEIPT');
      expect(onlySession().acks.size).toBe(0);
    });

    it('requires the subscription header', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.1' });
      const [m] = await deliver(c, 'client', 1);
      c.send(`ACK\nmessage-id:${header(m, 'message-id')}\n\n\0`);
      const error = await c.nextCommand('ERROR');
      expect(header(error, 'code')).toBe('STOMP_ERR_MISSING_HEADER');
      expect(header(error, 'message')).toContain('subscription');
    });

    it('answers an ACK naming another subscription with an ERROR', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.1' });
      const [m] = await deliver(c, 'client', 1);
      c.send(`ACK\nmessage-id:${header(m, 'message-id')}\nsubscription:other\n\n\0`);
      expect(header(await c.nextCommand('ERROR'), 'code')).toBe('STOMP_ERR_UNKNOWN_ACK');
    });
  });

  describe('STOMP 1.0 acknowledgement', () => {
    it('acknowledges by message-id alone', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.0' });
      const [m] = await deliver(c, 'client', 1);
      c.send(`ACK\nmessage-id:${header(m, 'message-id')}\nreceipt:a\n\n\0`);
      expect((await ackReceipt(c, 'a')).command).toBe('RECEIPT');
    });

    it('refuses client-individual, which 1.0 does not define', async () => {
      const c = await RawClient.connected(url, { 'accept-version': '1.0' });
      c.send('SUBSCRIBE\nid:s\ndestination:/queue/jobs\nack:client-individual\n\n\0');
      expect(header(await c.nextCommand('ERROR'), 'code')).toBe('STOMP_ERR_INVALID_ACK_MODE');
    });
  });

  describe('pending acknowledgements', () => {
    it('are bounded by maxPendingAcks, the oldest forgotten first', async () => {
      await closeServers();
      ({ running, url } = await transport.start({ maxPendingAcks: 2 }));
      const c = await RawClient.connected(url);
      const [first, , third] = await deliver(c, 'client-individual', 3);
      expect(onlySession().acks.size).toBe(2);
      c.send(`ACK\nid:${header(third, 'ack')}\nreceipt:a3\n\n\0`);
      expect((await ackReceipt(c, 'a3')).command).toBe('RECEIPT');
      c.send(`ACK\nid:${header(first, 'ack')}\n\n\0`);
      expect(header(await c.nextCommand('ERROR'), 'code')).toBe('STOMP_ERR_UNKNOWN_ACK');
    });
  });
});
