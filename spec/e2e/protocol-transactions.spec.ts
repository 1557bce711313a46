/** BEGIN, COMMIT and ABORT end to end (STOMP 1.2 §BEGIN, §COMMIT, §ABORT). */
import type { Session } from '../../broker/session/session';
import { closeClients, header, RawClient } from '../helpers/clients';
import { closeServers, type Running } from '../helpers/server';
import { RAW_TRANSPORTS } from '../helpers/transports';

describe.each(RAW_TRANSPORTS)('over $name', (transport) => {
  let running: Running;
  let url: string;
  let watcher: RawClient;

  beforeEach(async () => {
    ({ running, url } = await transport.start());
    watcher = await RawClient.connected(url);
    watcher.send('SUBSCRIBE\nid:w\ndestination:/topic/tx\nreceipt:w\n\n\0');
    await watcher.nextCommand('RECEIPT');
  });

  afterEach(async () => {
    await closeClients();
    await closeServers();
  });

  /** Bodies of the MESSAGEs the watcher received so far. */
  const seen = (): string[] => watcher.frames.filter((f) => f.command === 'MESSAGE').map((f) => f.body.toString());

  /** Sends a marker from `c` outside any transaction and waits until the watcher has it. */
  async function marker(c: RawClient, name: string): Promise<void> {
    c.send(`SEND\ndestination:/topic/tx\n\n${name}\0`);
    await watcher.nextMatching((f) => f.body.toString() === name, `marker ${name}`);
  }

  describe('transactions', () => {
    it('hold SENDs until COMMIT, then deliver them in order before the RECEIPT', async () => {
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:t1\n\n\0');
      c.send('SEND\ndestination:/topic/tx\ntransaction:t1\n\none\0SEND\ndestination:/topic/tx\ntransaction:t1\n\ntwo\0');
      await marker(c, 'before-commit');
      expect(seen()).toEqual(['before-commit']);
      c.send('COMMIT\ntransaction:t1\nreceipt:c\n\n\0');
      await c.nextCommand('RECEIPT');
      await watcher.nextMatching((f) => f.body.toString() === 'two', 'two');
      expect(seen()).toEqual(['before-commit', 'one', 'two']);
    });

    it('deliver nothing that was sent before ABORT', async () => {
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:t1\n\n\0SEND\ndestination:/topic/tx\ntransaction:t1\n\ndropped\0ABORT\ntransaction:t1\nreceipt:a\n\n\0');
      await c.nextCommand('RECEIPT');
      await marker(c, 'after-abort');
      expect(seen()).toEqual(['after-abort']);
    });

    it('are closed by COMMIT: the same name can begin again', async () => {
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:t\n\n\0COMMIT\ntransaction:t\n\n\0BEGIN\ntransaction:t\nreceipt:again\n\n\0');
      expect(header(await c.next(), 'receipt-id')).toBe('again');
    });

    it('keep separate transactions apart', async () => {
      const c = await RawClient.connected(url);
      c.send(
        'BEGIN\ntransaction:a\n\n\0BEGIN\ntransaction:b\n\n\0' +
          'SEND\ndestination:/topic/tx\ntransaction:a\n\nfrom a\0' +
          'SEND\ndestination:/topic/tx\ntransaction:b\n\nfrom b\0' +
          'ABORT\ntransaction:a\n\n\0COMMIT\ntransaction:b\nreceipt:b\n\n\0',
      );
      await c.nextCommand('RECEIPT');
      await marker(c, 'end');
      expect(seen()).toEqual(['from b', 'end']);
    });

    it('hold ACKs until COMMIT', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:s\ndestination:/queue/q\nack:client\nreceipt:s\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/queue/q\n\njob\0');
      const m = await c.nextCommand('MESSAGE');
      const session = running.server.sessions.get(header(c.frames[0], 'session')!) as Session;
      c.send(`BEGIN\ntransaction:t\n\n\0ACK\nid:${header(m, 'ack')}\ntransaction:t\nreceipt:held\n\n\0`);
      await c.nextCommand('RECEIPT');
      expect(session.acks.size).toBe(1);
      c.send('COMMIT\ntransaction:t\nreceipt:done\n\n\0');
      await c.nextCommand('RECEIPT');
      expect(session.acks.size).toBe(0);
    });

    it('drop ACKs at ABORT: the message stays pending', async () => {
      const c = await RawClient.connected(url);
      c.send('SUBSCRIBE\nid:s\ndestination:/queue/q\nack:client-individual\nreceipt:s\n\n\0');
      await c.nextCommand('RECEIPT');
      c.send('SEND\ndestination:/queue/q\n\njob\0');
      const m = await c.nextCommand('MESSAGE');
      const session = running.server.sessions.get(header(c.frames[0], 'session')!) as Session;
      c.send(`BEGIN\ntransaction:t\n\n\0ACK\nid:${header(m, 'ack')}\ntransaction:t\n\n\0ABORT\ntransaction:t\nreceipt:a\n\n\0`);
      await c.nextCommand('RECEIPT');
      expect(session.acks.size).toBe(1);
    });

    it('still open at disconnect are discarded', async () => {
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:t\n\n\0SEND\ndestination:/topic/tx\ntransaction:t\nreceipt:held\n\nnever\0');
      await c.nextCommand('RECEIPT');
      const gone = new Promise((resolve) => running.server.once('disconnect', resolve));
      await c.close();
      await gone;
      await marker(watcher, 'after-disconnect');
      expect(seen()).toEqual(['after-disconnect']);
    });

    it('still open at a DISCONNECT frame are discarded', async () => {
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:t\n\n\0SEND\ndestination:/topic/tx\ntransaction:t\n\nnever\0DISCONNECT\nreceipt:bye\n\n\0');
      await c.closed;
      await marker(watcher, 'after-disconnect');
      expect(seen()).toEqual(['after-disconnect']);
    });

    it('are limited to maxTransactionsPerSession open at once', async () => {
      await closeServers();
      ({ running, url } = await transport.start({ maxTransactionsPerSession: 1 }));
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:a\n\n\0BEGIN\ntransaction:b\nreceipt:b\n\n\0');
      const error = await c.nextCommand('ERROR');
      expect(header(error, 'message')).toContain('maxTransactionsPerSession');
      expect(header(error, 'receipt-id')).toBe('b');
    });

    it('hold at most maxFramesPerTransaction frames', async () => {
      await closeServers();
      ({ running, url } = await transport.start({ maxFramesPerTransaction: 2 }));
      const c = await RawClient.connected(url);
      c.send('BEGIN\ntransaction:t\n\n\0');
      for (let i = 0; i < 3; i++) c.send(`SEND\ndestination:/topic/tx\ntransaction:t\n\n${i}\0`);
      const error = await c.nextCommand('ERROR');
      expect(header(error, 'message')).toContain('maxFramesPerTransaction');
      await c.closed;
    });
  });
});
