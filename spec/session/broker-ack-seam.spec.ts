/** ACK and NACK reach the MessageBroker through its optional ack/nack methods (the queue engines' seam). */
import type { Subscription } from '../../broker/messaging/message-broker';
import { SimpleBroker } from '../../broker/messaging/simple-broker';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, startServer } from '../helpers/server';
import { waitUntil } from '../helpers/sockjs';

/** The simple broker plus the seam: it records what each ACK and NACK settled, and holds the RECEIPT until `release`. */
class SettlingBroker extends SimpleBroker {
  readonly calls: { kind: 'ack' | 'nack'; subscription: string; messageIds: readonly string[] }[] = [];
  hold: Promise<void> | undefined;
  ack(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void {
    this.calls.push({ kind: 'ack', subscription: subscription.id, messageIds: [...messageIds] });
    return this.hold;
  }
  nack(subscription: Subscription, messageIds: readonly string[]): Promise<void> | void {
    this.calls.push({ kind: 'nack', subscription: subscription.id, messageIds: [...messageIds] });
    return this.hold;
  }
}

afterEach(async () => {
  await closeClients();
  await closeServers();
});

async function setup(mode: string): Promise<{ c: RawClient; broker: SettlingBroker; ids: string[]; acks: string[] }> {
  const broker = new SettlingBroker();
  const running = await startServer({ endpoints: ['/stomp'], broker });
  const c = await RawClient.connected(running.ws('/stomp'));
  c.send(`SUBSCRIBE\nid:s\ndestination:/queue/jobs\nack:${mode}\nreceipt:sub\n\n\0`);
  await c.nextCommand('RECEIPT');
  const ids: string[] = [];
  const acks: string[] = [];
  for (let i = 0; i < 3; i++) {
    c.send(`SEND\ndestination:/queue/jobs\n\njob ${i}\0`);
    const m = await c.nextCommand('MESSAGE');
    ids.push(header(m, 'message-id')!);
    acks.push(header(m, 'ack')!);
  }
  return { c, broker, ids, acks };
}

describe('the MessageBroker ack/nack seam', () => {
  it('hands a client-mode ACK every message it settles, in delivery order', async () => {
    const { c, broker, ids, acks } = await setup('client');
    c.send(`ACK\nid:${acks[1]}\nreceipt:a\n\n\0`);
    await c.nextMatching((f) => header(f, 'receipt-id') === 'a', 'RECEIPT a');
    expect(broker.calls).toEqual([{ kind: 'ack', subscription: 's', messageIds: [ids[0], ids[1]] }]);
  });

  it('hands a client-individual NACK its one message', async () => {
    const { c, broker, ids, acks } = await setup('client-individual');
    c.send(`NACK\nid:${acks[2]}\nreceipt:n\n\n\0`);
    await c.nextMatching((f) => header(f, 'receipt-id') === 'n', 'RECEIPT n');
    expect(broker.calls).toEqual([{ kind: 'nack', subscription: 's', messageIds: [ids[2]] }]);
  });

  it('sends the RECEIPT only once the broker settled', async () => {
    const { c, broker, acks } = await setup('client-individual');
    let release!: () => void;
    broker.hold = new Promise<void>((resolve) => (release = resolve));
    c.send(`ACK\nid:${acks[0]}\nreceipt:late\n\n\0`);
    c.send(`SEND\ndestination:/queue/jobs\nreceipt:after\n\nafter\0`);
    await waitUntil('the ACK at the broker', () => broker.calls.length === 1);
    expect(c.frames.some((f) => header(f, 'receipt-id') === 'late')).toBe(false);
    release();
    // The SEND behind the ACK waited for it too: its RECEIPT comes after the ACK's.
    const receipts: string[] = [];
    while (receipts.length < 2) receipts.push(header(await c.nextCommand('RECEIPT'), 'receipt-id')!);
    expect(receipts).toEqual(['late', 'after']);
  });

  it('does not call the broker for an unknown ack id', async () => {
    const { c, broker } = await setup('client');
    c.send('ACK\nid:nope\n\n\0');
    const error = await c.nextCommand('ERROR');
    expect(header(error, 'code')).toBe('STOMP_ERR_UNKNOWN_ACK');
    expect(broker.calls).toEqual([]);
  });
});
